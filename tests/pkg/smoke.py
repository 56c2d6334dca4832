"""ctypes smoke test: load libtale.so (path in argv[1]), transcribe a WAV
(argv[2]) with the default model, tokenize a Danish sentence.  Prints the
transcript on one line and the tokens on the next; exit 1 on any error."""
import ctypes as C
import sys

lib = C.CDLL(sys.argv[1])


class Error(C.Structure):
    _fields_ = [("code", C.c_int), ("msg", C.c_char * 256)]


def check(status, err, what):
    if status != 0:
        sys.exit(f"smoke: {what}: {err.msg.decode()}")


lib.tale_version.restype = C.c_char_p
err = Error()
path = C.create_string_buffer(4096)
check(lib.tale_ctc_default_model(path, C.c_size_t(4096), C.byref(err)), err, "default model")
model = C.c_void_p()
check(lib.tale_model_open(path, None, C.byref(model), C.byref(err)), err, "model")
tr = C.c_void_p()
lib.tale_transcriber_new.argtypes = [C.c_void_p, C.c_void_p, C.POINTER(C.c_void_p), C.c_void_p]
check(lib.tale_transcriber_new(model, None, C.byref(tr), C.byref(err)), err, "transcriber")
lib.tale_transcribe_file.argtypes = [C.c_void_p, C.c_char_p, C.c_void_p]
check(lib.tale_transcribe_file(tr, sys.argv[2].encode(), C.byref(err)), err, "transcribe")
lib.tale_transcriber_n_segments.argtypes = [C.c_void_p]
lib.tale_transcriber_n_segments.restype = C.c_size_t
lib.tale_transcriber_segment.argtypes = [C.c_void_p, C.c_size_t]
lib.tale_transcriber_segment.restype = C.c_void_p
texts = []
for i in range(lib.tale_transcriber_n_segments(tr)):
    seg = lib.tale_transcriber_segment(tr, i)
    # struct tale_segment { int64_t start_ms, end_ms; const char *text; ... }
    texts.append(C.cast(seg + 16, C.POINTER(C.c_char_p))[0].decode())
print(" ".join(texts))
lib.tale_transcriber_free.argtypes = [C.c_void_p]
lib.tale_model_free.argtypes = [C.c_void_p]
lib.tale_transcriber_free(tr)
lib.tale_model_free(model)

tk = C.c_void_p()
lib.tale_tokenizer_new.argtypes = [C.c_void_p, C.POINTER(C.c_void_p), C.c_void_p]
check(lib.tale_tokenizer_new(None, C.byref(tk), C.byref(err)), err, "tokenizer")
doc = C.c_void_p()
text = "Hr. Jensen bor på Østergade 12, 2. th. i Århus.".encode()
lib.tale_tokenize.argtypes = [C.c_void_p, C.c_char_p, C.c_size_t, C.POINTER(C.c_void_p), C.c_void_p]
check(lib.tale_tokenize(tk, text, len(text), C.byref(doc), C.byref(err)), err, "tokenize")
lib.tale_doc_n_tokens.argtypes = [C.c_void_p]
lib.tale_doc_n_tokens.restype = C.c_size_t
lib.tale_doc_form.argtypes = [C.c_void_p, C.c_size_t]
lib.tale_doc_form.restype = C.c_char_p
forms = [lib.tale_doc_form(doc, i).decode() for i in range(lib.tale_doc_n_tokens(doc))]
print("|".join(forms))
lib.tale_doc_free.argtypes = [C.c_void_p]
lib.tale_tokenizer_free.argtypes = [C.c_void_p]
lib.tale_doc_free(doc)
lib.tale_tokenizer_free(tk)
