/* paths.h — where tale finds its own files (internal, not installed). */
#ifndef TALE_PATHS_H
#define TALE_PATHS_H

/* The folder holding models/ (registry.tsv, nlp/, the default CTC model) and
 * data/: the source tree for a program built and run inside it, else the
 * install's share/tale found beside the running program or library
 * (<bin or lib>/../share/tale), else the build-time TALE_SHARE_DIR.
 * Computed once; never NULL. */
const char *tale_root_dir(void);

/* Files and folders under the root, computed with it (never NULL): the
 * default data folder, the model registry, the NLP model folder.  The
 * environment overrides ($TALE_DATA_DIR …) are the callers' business. */
typedef enum tale_own_path {
    TALE_PATH_DATA,       /* <root>/data */
    TALE_PATH_REGISTRY,   /* <root>/models/registry.tsv */
    TALE_PATH_NLP_MODELS  /* <root>/models/nlp */
} tale_own_path;
const char *tale_root_path(tale_own_path which);

#endif
