/* ner.c — placeholder being written */
#include "tale_nlp.h"
tale_ner_train_params tale_ner_train_default_params(void) { tale_ner_train_params p = {0}; return p; }
tale_status tale_ner_train(const struct tale_iob *train, const struct tale_iob *dev,
                           const tale_ner_train_params *p, const char *out_path,
                           tale_ner_report *rep, tale_error *err)
{ (void)train; (void)dev; (void)p; (void)out_path; (void)rep; return tale_error_set(err, TALE_UNSUPPORTED, "ner: not yet"); }
