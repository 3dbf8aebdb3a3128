/* The study runner's door to the renderer (plots/report.h). Kept in its own file:
 * plots/report.h and solvers/grad.h both name the quantities (ADEIS_Q_*). */
#include "../plots/report.h"

int adeis_study_render(const char *dir, int latex);

/* Temporary shim until the renderer's implementation lands in plots/. */
#if __has_include("../plots/report.c")
int adeis_study_render(const char *dir, int latex) { return adeis_report_render(dir, latex); }
#else
int adeis_study_render(const char *dir, int latex)
{
  (void)dir;
  (void)latex;
  return 0;
}
#endif
