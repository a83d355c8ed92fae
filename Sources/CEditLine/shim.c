#include "CEditLine.h"
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>

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

void caderno_request_interrupt(void) {
    interrupted = 1;
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
    History *history;
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

/* The history entry `skip` places older than the newest that contains `query`, searching older
   from there; its text (without a trailing newline) in `found`, or -1. */
static int search_history(History *list, const char *query, int skip, char *found, size_t size) {
    HistEvent event;
    if (!list || history(list, &event, H_FIRST) < 0) return -1;
    for (int index = 0; ; index++) {
        if (index >= skip && strstr(event.str, query)) {
            snprintf(found, size, "%s", event.str);
            size_t length = strlen(found);
            if (length && found[length - 1] == '\n') found[length - 1] = 0;
            return index;
        }
        if (history(list, &event, H_NEXT) < 0) return -1;
    }
}

/* Replaces the whole line being edited with `text`. */
static void replace_line(EditLine *editor, const char *text) {
    const LineInfo *line = el_line(editor);
    el_cursor(editor, (int)(line->lastchar - line->cursor));
    line = el_line(editor);
    el_deletestr(editor, (int)(line->cursor - line->buffer));
    if (*text) el_insertstr(editor, text);
}

/* Ctrl-R as readline does it, rather than libedit's "bck:" prompt:
   (reverse-i-search)`que': the newest line containing "que". Typing narrows, Ctrl-R goes further
   back, Backspace widens, Enter runs the match, Ctrl-G restores the line, any other key (an arrow,
   Ctrl-A, Esc) leaves the match in the line to edit. */
static unsigned char reverse_search(EditLine *editor, int key) {
    (void)key;
    caderno_el_state *state = state_of(editor);
    FILE *out = NULL;
    el_get(editor, EL_GETFP, 1, &out);
    if (!state || !out) return CC_ERROR;
    const LineInfo *info = el_line(editor);
    char original[4096];
    snprintf(original, sizeof original, "%.*s", (int)(info->lastchar - info->buffer), info->buffer);
    char query[256] = "", match[4096] = "";
    size_t length = 0;
    int at = -1, failed = 0;
    /* Each keystroke's state before it, so Backspace undoes a letter or a Ctrl-R, as readline does. */
    struct { size_t length; int at, failed; } undo[512];
    int undone = 0;
    for (;;) {
        fprintf(out, "\r\033[2K(%sreverse-i-search)`%s': %s", failed ? "failed " : "", query, at >= 0 ? match : "");
        fflush(out);
        char c;
        if (el_getc(editor, &c) != 1) { replace_line(editor, original); return CC_REDISPLAY; }
        int searching = c == 0x12 || ((unsigned char)c >= 0x20 && c != 0x7f);
        if (searching && undone < 512) { undo[undone].length = length; undo[undone].at = at; undo[undone].failed = failed; undone++; }
        if (c == 0x12) {                                   /* Ctrl-R: an older match */
            char older[4096];
            int next = length ? search_history(state->history, query, at + 1, older, sizeof older) : -1;
            if (next >= 0) { at = next; snprintf(match, sizeof match, "%s", older); failed = 0; } else if (length) failed = 1;
        } else if (c == 0x7f || c == 0x08) {               /* Backspace: back one step */
            if (undone > 0) {
                undone--;
                length = undo[undone].length;
                query[length] = 0;
                at = undo[undone].at;
                failed = undo[undone].failed;
                if (at >= 0 && search_history(state->history, "", at, match, sizeof match) != at) at = -1;
            }
        } else if (c == 0x07) {                            /* Ctrl-G: give up, the line as it was */
            replace_line(editor, original);
            fputs("\r\033[2K", out);
            return CC_REDISPLAY;
        } else if (c == '\r' || c == '\n') {               /* Enter: run the match */
            replace_line(editor, at >= 0 ? match : original);
            fprintf(out, "\r\033[2K%s%s\n", state->prompt ? state->prompt : "", at >= 0 ? match : original);
            return CC_NEWLINE;
        } else if ((unsigned char)c >= 0x20 && length + 1 < sizeof query) {
            query[length++] = c;
            query[length] = 0;
            char found[4096];
            int next = search_history(state->history, query, at < 0 ? 0 : at, found, sizeof found);
            if (next >= 0) { at = next; snprintf(match, sizeof match, "%s", found); failed = 0; } else failed = 1;
        } else {                                           /* any other key: edit the match */
            if (c == 0x1b) {                               /* swallow the rest of an escape sequence */
                struct pollfd input = { .fd = STDIN_FILENO, .events = POLLIN };
                char rest;
                while (poll(&input, 1, 30) > 0 && read(STDIN_FILENO, &rest, 1) == 1) {
                    if ((rest >= 'A' && rest <= 'Z') || (rest >= 'a' && rest <= 'z') || rest == '~') break;
                }
            }
            replace_line(editor, at >= 0 ? match : original);
            fputs("\r\033[2K", out);
            return CC_REDISPLAY;
        }
    }
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
    el_set(editor, EL_ADDFN, "caderno-reverse-search", "Search the history as you type", reverse_search);
    el_set(editor, EL_BIND, "^R", "caderno-reverse-search", NULL);
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
    if (editor) {
        el_set(editor, EL_HIST, history, list);
        caderno_el_state *state = state_of(editor);
        if (state) state->history = list;
    }
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
