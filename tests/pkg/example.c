/* example.c — a program using the installed libtale through pkg-config:
 *   cc example.c $(pkg-config --cflags --libs tale) -o example
 *   ./example speech.wav */
#include <stdio.h>
#include <tale_asr.h>

int main(int argc, char **argv)
{
    char model_path[4096];
    tale_error err;
    tale_model *model = NULL;
    tale_transcriber *tr = NULL;
    if (argc != 2) {
        fprintf(stderr, "usage: example FILE\n");
        return 2;
    }
    if (tale_ctc_default_model(model_path, sizeof model_path, &err) != TALE_OK ||
        tale_model_open(model_path, NULL, &model, &err) != TALE_OK)
        goto fail;
    tale_transcribe_params p = tale_transcribe_default_params();
    if (tale_transcriber_new(model, &p, &tr, &err) != TALE_OK ||
        tale_transcribe_file(tr, argv[1], &err) != TALE_OK)
        goto fail;
    for (size_t i = 0; i < tale_transcriber_n_segments(tr); i++)
        printf("%s\n", tale_transcriber_segment(tr, i)->text);
    tale_transcriber_free(tr);
    tale_model_free(model);
    return 0;
fail:
    fprintf(stderr, "example: %s\n", err.msg);
    tale_transcriber_free(tr);
    tale_model_free(model);
    return 1;
}
