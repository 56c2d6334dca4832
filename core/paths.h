/* paths.h — where tale finds its own files (internal, not installed). */
#ifndef TALE_PATHS_H
#define TALE_PATHS_H

/* The folder holding models/ (registry.tsv, nlp/, the default CTC model) and
 * data/: the source tree for a program built and run inside it, else the
 * install's share/tale found beside the running program or library
 * (<bin or lib>/../share/tale), else the build-time TALE_SHARE_DIR.
 * Computed once; never NULL. */
const char *tale_root_dir(void);

#endif
