#ifndef CADERNO_CEDITLINE_H
#define CADERNO_CEDITLINE_H
// A non-variadic face for libedit: el_set, el_get and history() take C varargs, which Swift cannot
// call. Everything else the REPL needs (el_gets, el_line, el_insertstr) is re-exported as it is.
#include <stdio.h>
#include <histedit.h>

typedef unsigned char (*caderno_el_command)(EditLine *editor, int key);

/// Opens an editor on the standard streams, with emacs bindings and the given prompt (copied). NULL on failure.
EditLine *caderno_el_open(const char *program, const char *prompt);
void caderno_el_close(EditLine *editor);
/// Binds `key` (e.g. "^I") to a named command implemented by `function`.
int caderno_el_bind(EditLine *editor, const char *name, const char *help, const char *key,
                    caderno_el_command function);
/// Whether the last line ended with Ctrl-C (to be discarded); clears the mark.
int caderno_el_take_line_interrupt(EditLine *editor);
/// Stores an opaque pointer that a command callback gets back with caderno_el_client.
void caderno_el_set_client(EditLine *editor, void *client);
void *caderno_el_client(EditLine *editor);

/// History of `size` entries, attached to `editor` for up/down and Ctrl-R.
History *caderno_history_open(EditLine *editor, int size);
void caderno_history_close(History *list);
int caderno_history_enter(History *list, const char *line);
int caderno_history_load(History *list, const char *path);
int caderno_history_save(History *list, const char *path);

/// Ctrl-C outside the prompt (during training): a SIGINT handler that only sets a flag, which the
/// training loop polls after every batch. At the prompt Ctrl-C is a key (see caderno_el_open).
void caderno_install_interrupt_handler(void);
/// Whether Ctrl-C was pressed since the last call; clears the flag.
int caderno_take_interrupt(void);
/// Raises the same flag without a signal: the Jupyter kernel's interrupt_request (message mode).
void caderno_request_interrupt(void);
#endif
