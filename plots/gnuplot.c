/* Running gnuplot on a script: fork, exec, stderr captured through a pipe. A second,
 * close-on-exec pipe carries errno back when exec fails (it closes unread on success). */
#include "report.h"

#include "../core/status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int cloexec(int fd) { return fcntl(fd, F_SETFD, FD_CLOEXEC); }

/* In the child: only async-signal-safe calls until exec. */
static void child(const char *dir, char *const argv[], int err_w, int status_w, const int *keep,
                  size_t n_keep)
{
  int code = 0;
  int null_fd = open("/dev/null", O_RDWR);
  for (size_t i = 0; i < n_keep && !code; i++)
    if (fcntl(keep[i], F_SETFD, 0) != 0) /* gnuplot writes to /dev/fd/N */
      code = errno;
  if (code || chdir(dir) != 0 || null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 ||
      dup2(err_w, 2) < 0)
    code = code ? code : errno;
  else {
    execvp(argv[0], argv);
    code = errno;
  }
  ssize_t w = write(status_w, &code, sizeof code);
  (void)w;
  _exit(127);
}

/* Read fd to EOF into a NUL-terminated string (NULL when out of memory). */
static char *read_all(int fd)
{
  size_t len = 0, cap = 1024;
  char *buf = malloc(cap);
  while (buf) {
    if (cap - len < 2) {
      char *b = realloc(buf, cap * 2);
      if (!b) {
        free(buf);
        return NULL;
      }
      buf = b;
      cap *= 2;
    }
    ssize_t got = read(fd, buf + len, cap - len - 1);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    len += (size_t)got;
  }
  if (buf)
    buf[len] = '\0';
  return buf;
}

static int wait_child(pid_t pid)
{
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0)
    if (errno != EINTR)
      return -1;
  return ws;
}

static const char *program(void)
{
  const char *p = getenv("ADEIS_GNUPLOT");
  return p && *p ? p : "gnuplot";
}

static int report(const char *prog, const char *dir, const char *script, int ws, int exec_errno,
                  const char *err)
{
  if (exec_errno) {
    adeis_set_error("cannot run %s in %s: %s (is gnuplot installed? ADEIS_GNUPLOT names "
                    "another program)",
                    prog, dir, strerror(exec_errno));
    return ADEIS_ENUMERIC;
  }
  if (ws >= 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
    return 0;
  if (ws >= 0 && WIFSIGNALED(ws))
    adeis_set_error("%s %s in %s: killed by signal %d: %s", prog, script, dir, WTERMSIG(ws),
                    err ? err : "");
  else
    adeis_set_error("%s %s in %s failed (exit status %d): %s", prog, script, dir,
                    ws >= 0 && WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, err ? err : "");
  return ADEIS_ENUMERIC;
}

int adeis_report_gnuplot_run(const char *dir, const char *script, const char *setup)
{
  return adeis_report_gnuplot_run_fds(dir, script, setup, NULL, 0);
}

int adeis_report_gnuplot_run_fds(const char *dir, const char *script, const char *setup,
                                 const int *keep, size_t n_keep)
{
  const char *prog = program();
  char *argv[] = {(char *)prog, "-e", (char *)(setup ? setup : ""), (char *)script, NULL};
  int err_pipe[2], status_pipe[2];
  if (pipe(err_pipe) != 0) {
    adeis_set_error("cannot run %s: pipe: %s", prog, strerror(errno));
    return ADEIS_ENUMERIC;
  }
  /* all four close-on-exec: no other child inherits them; dup2 clears it on fd 2 */
  if (pipe(status_pipe) != 0) {
    adeis_set_error("cannot run %s: pipe: %s", prog, strerror(errno));
    close(err_pipe[0]);
    close(err_pipe[1]);
    return ADEIS_ENUMERIC;
  }
  for (int i = 0; i < 2; i++) {
    cloexec(err_pipe[i]);
    cloexec(status_pipe[i]);
  }
  pid_t pid = fork();
  if (pid == 0)
    child(dir, argv, err_pipe[1], status_pipe[1], keep, n_keep);
  close(err_pipe[1]);
  close(status_pipe[1]);
  int exec_errno = 0, fork_errno = errno;
  char *err = NULL;
  if (pid > 0) {
    err = read_all(err_pipe[0]);
    if (read(status_pipe[0], &exec_errno, sizeof exec_errno) != (ssize_t)sizeof exec_errno)
      exec_errno = 0;
  }
  close(err_pipe[0]);
  close(status_pipe[0]);
  int ws = pid > 0 ? wait_child(pid) : -1;
  int st = report(prog, dir, script, ws, pid > 0 ? exec_errno : fork_errno, err);
  free(err);
  return st;
}
