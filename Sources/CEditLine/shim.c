#include "CEditLine.h"
#include <stdlib.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t interrupted = 0;

/* Whichever thread the kernel hands the signal to, the flag is the process's. */
static void on_interrupt(int signal_number) {
    (void)signal_number;
    interrupted = 1;
}

void caderno_install_interrupt_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(SIGINT, &action, NULL);
}

int caderno_take_interrupt(void) {
    int was = interrupted;
    interrupted = 0;
    return was;
}

typedef struct {
    char *prompt;
    void *client;
    int line_interrupted;
} caderno_el_state;

static caderno_el_state *state_of(EditLine *editor) {
    void *state = NULL;
    el_get(editor, EL_CLIENTDATA, &state);
    return (caderno_el_state *)state;
}

static char *prompt_function(EditLine *editor) {
    caderno_el_state *state = state_of(editor);
    return state && state->prompt ? state->prompt : "";
}

/* Ctrl-C while editing: show ^C and end the line; the caller discards it (see below). */
static unsigned char interrupt_line(EditLine *editor, int key) {
    (void)key;
    caderno_el_state *state = state_of(editor);
    if (state) state->line_interrupted = 1;
    FILE *out = NULL;
    el_get(editor, EL_GETFP, 1, &out);
    if (out) { fputs("^C\n", out); fflush(out); }
    return CC_NEWLINE;
}

EditLine *caderno_el_open(const char *program, const char *prompt) {
    EditLine *editor = el_init(program, stdin, stdout, stderr);
    if (!editor) return NULL;
    caderno_el_state *state = calloc(1, sizeof *state);
    if (!state) { el_end(editor); return NULL; }
    state->prompt = strdup(prompt ? prompt : "");
    el_set(editor, EL_CLIENTDATA, state);
    el_set(editor, EL_PROMPT, prompt_function);
    el_set(editor, EL_EDITOR, "emacs");
    el_set(editor, EL_BIND, "^R", "em-inc-search-prev", NULL);
    /* While a line is edited, Ctrl-C is a key, not a signal: libedit retries a read() that a
       signal interrupts, so a SIGINT at the prompt may or may not end el_gets. Outside editing
       the terminal keeps isig, and Ctrl-C during training stays a signal. */
    el_set(editor, EL_SETTY, "-d", "-isig", NULL);
    el_set(editor, EL_ADDFN, "caderno-interrupt", "Abandon the line", interrupt_line);
    el_set(editor, EL_BIND, "^C", "caderno-interrupt", NULL);
    el_source(editor, NULL); /* the user's ~/.editrc, as every libedit program does */
    return editor;
}

void caderno_el_close(EditLine *editor) {
    if (!editor) return;
    caderno_el_state *state = state_of(editor);
    el_end(editor);
    if (state) { free(state->prompt); free(state); }
}

int caderno_el_bind(EditLine *editor, const char *name, const char *help, const char *key,
                    caderno_el_command function) {
    if (el_set(editor, EL_ADDFN, name, help, function) != 0) return -1;
    return el_set(editor, EL_BIND, key, name, NULL);
}

int caderno_el_take_line_interrupt(EditLine *editor) {
    caderno_el_state *state = state_of(editor);
    if (!state) return 0;
    int was = state->line_interrupted;
    state->line_interrupted = 0;
    return was;
}

void caderno_el_set_client(EditLine *editor, void *client) {
    caderno_el_state *state = state_of(editor);
    if (state) state->client = client;
}

void *caderno_el_client(EditLine *editor) {
    caderno_el_state *state = state_of(editor);
    return state ? state->client : NULL;
}

History *caderno_history_open(EditLine *editor, int size) {
    History *list = history_init();
    if (!list) return NULL;
    HistEvent event;
    history(list, &event, H_SETSIZE, size);
    history(list, &event, H_SETUNIQUE, 1);
    if (editor) el_set(editor, EL_HIST, history, list);
    return list;
}

void caderno_history_close(History *list) {
    if (list) history_end(list);
}

int caderno_history_enter(History *list, const char *line) {
    HistEvent event;
    return history(list, &event, H_ENTER, line);
}

int caderno_history_load(History *list, const char *path) {
    HistEvent event;
    return history(list, &event, H_LOAD, path);
}

int caderno_history_save(History *list, const char *path) {
    HistEvent event;
    return history(list, &event, H_SAVE, path);
}
