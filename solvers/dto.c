/* Discrete adjoints ("discretize, then differentiate", docs/math.md section 13): the exact
 * derivative of L(x_N) for the sample x_N of a forward sampler, by reverse accumulation over
 * the linear combinations of its steps (forward.h's plans). The products for z and theta go
 * straight into a_z, a_theta with their coefficients (no theta-sized temporaries).
 * Storage policies (docs/math.md section 14): store-all, binomial checkpointing (bit-identical
 * to store-all, recomputations counted), and the reversible McCallum-Foster coupling. */
#include "forward.h"
#include "revolve.h"
#include "../core/status.h"

#include <stdlib.h>
#include <string.h>

#define RND MPFR_RNDN

typedef struct dto {
  adeis_adjoint_problem *p;
  const adeis_forward *f;
  const adeis_tpoint *pts;
  size_t n;
  adeis_stepper st;                     /* forward steps, stage recomputation */
  adeis_plan pl;                        /* the plan being reversed */
  adeis_vec *xbar, *ybar, *epsbar[ADEIS_PLAN_MAX], *carry, *carry_next;
  adeis_vec *stage[ADEIS_PLAN_MAX];     /* stage states 1.. of the step being reversed */
  mpfr_t sc, tmp, one;
  mpfr_t m[ADEIS_PLAN_MAX];             /* multiples of the output cotangent (reverse_plan) */
  int have_grad;
  int initialised;                      /* scalars and plan made (dto_clear may run) */
} dto;

static adeis_vec *vec(dto *d)
{
  return adeis_meter_alloc(d->p->meter, d->p->model->be, d->p->model->dim);
}

static int dto_init(dto *d, const adeis_method *m, adeis_adjoint_problem *p)
{
  memset(d, 0, sizeof *d);
  d->p = p;
  d->f = adeis_forward_lookup(m->forward);
  if (!d->f || d->f->stochastic || d->f->state_vecs > 1 || d->f->evals > ADEIS_PLAN_MAX) {
    adeis_set_error("%s: no discrete adjoint for the sampler %s", m->name, m->forward);
    return ADEIS_EINPUT;
  }
  d->pts = p->grid->pts;
  d->n = p->grid->n;
  adeis_plan_init(&d->pl, p->sched->prec);
  mpfr_inits2(p->sched->prec, d->sc, d->tmp, d->one, (mpfr_ptr)0);
  d->initialised = 1;
  mpfr_set_ui(d->one, 1, RND);
  for (unsigned j = 0; j < ADEIS_PLAN_MAX; j++)
    mpfr_init2(d->m[j], p->sched->prec);
  int rc = adeis_stepper_init(&d->st, d->f, p->model, p->ws, p->sched, NULL, &p->counts, p->meter);
  int ok = (d->xbar = vec(d)) && (d->ybar = vec(d));
  for (unsigned j = 0; j < d->f->evals && j < ADEIS_PLAN_MAX; j++) {
    ok = ok && (d->epsbar[j] = vec(d));
    if (j > 0)
      ok = ok && (d->stage[j] = vec(d));
  }
  if (d->f->state_vecs)
    ok = ok && (d->carry = vec(d)) && (d->carry_next = vec(d));
  return rc ? rc : ok ? ADEIS_OK : ADEIS_ENOMEM;
}

static void dto_clear(dto *d)
{
  if (!d->initialised)
    return;
  adeis_vecmeter *mt = d->p->meter;
  adeis_meter_free(mt, d->xbar);
  adeis_meter_free(mt, d->ybar);
  adeis_meter_free(mt, d->carry);
  adeis_meter_free(mt, d->carry_next);
  for (unsigned j = 0; j < ADEIS_PLAN_MAX; j++) {
    adeis_meter_free(mt, d->epsbar[j]);
    adeis_meter_free(mt, d->stage[j]);
  }
  adeis_stepper_clear(&d->st);
  adeis_plan_clear(&d->pl);
  mpfr_clears(d->sc, d->tmp, d->one, (mpfr_ptr)0);
  for (unsigned j = 0; j < ADEIS_PLAN_MAX; j++)
    mpfr_clear(d->m[j]);
}

/* y += a x (a nonzero) */
static void axpy(const dto *d, adeis_vec *y, mpfr_srcptr a, const adeis_vec *x)
{
  adeis_vec_lincomb(y, 2, (mpfr_srcptr[]){d->one, a}, (const adeis_vec *[]){y, x});
}

/* y = sum of the nonzero terms, in order */
static void combine(adeis_vec *y, size_t k, mpfr_srcptr const c[], const adeis_vec *const v[])
{
  mpfr_srcptr cc[ADEIS_PLAN_MAX + 2];
  const adeis_vec *vv[ADEIS_PLAN_MAX + 2];
  size_t m = 0;
  for (size_t i = 0; i < k; i++)
    if (v[i] && !mpfr_zero_p(c[i])) {
      cc[m] = c[i];
      vv[m++] = v[i];
    }
  if (m)
    adeis_vec_lincomb(y, m, cc, vv);
  else
    adeis_vec_set_zero(y);
}

/* Stage states of plan pl at base x: stages[0] (x itself when c[0][0] = 1, else the given
 * buffer), stages[j] from the evaluations eps_0..eps_{j-1} (counted). */
static int prepare_stages(dto *d, const adeis_plan *pl, const adeis_vec *x, adeis_vec *s0,
                          const adeis_vec **stages)
{
  stages[0] = x;
  if (mpfr_cmp_ui(pl->c[0][0], 1) != 0) {
    adeis_vec_lincomb(s0, 1, (mpfr_srcptr[]){pl->c[0][0]}, (const adeis_vec *[]){x});
    stages[0] = s0;
  }
  for (unsigned j = 1; j < pl->stages; j++) {
    int rc = adeis_model_eps(d->p->model, d->p->ws, d->st.eps[j - 1], stages[j - 1], pl->at[j - 1]);
    d->p->counts.nfe++;
    if (rc)
      return rc;
    const adeis_vec *v[ADEIS_PLAN_MAX] = {x, d->st.eps[0], d->st.eps[1], d->st.eps[2]};
    mpfr_srcptr c[ADEIS_PLAN_MAX] = {pl->c[j][0], pl->c[j][1], pl->c[j][2], pl->c[j][3]};
    combine(d->stage[j], j + 1, c, v);
    stages[j] = d->stage[j];
  }
  return ADEIS_OK;
}

/* Reverse accumulation through one plan, whose output has cotangent wscale * w:
 * acc += wscale out[0] w + sum_j c[j][0] (deps_j/dy)^T epsbar_j, a_z and a_theta += the
 * products of every epsbar_j, carry_out = wscale out[s+1] w (the previous eps, dpm-2m), and
 * carry_in (may be NULL) added to epsbar_0. Stage evaluations run latest-first; the last one
 * also returns eps into eps_last when given (the reversible reconstruction). An epsbar that is
 * only a multiple of w is never formed: the products take w with that multiple as scale. */
static int reverse_plan(dto *d, const adeis_plan *pl, const adeis_vec *const *stages,
                        const adeis_vec *w, mpfr_srcptr wscale, adeis_vec *acc,
                        const adeis_vec *carry_in, adeis_vec *carry_out, adeis_vec *eps_last)
{
  adeis_adjoint_problem *p = d->p;
  unsigned ns = pl->stages;
  int formed[ADEIS_PLAN_MAX] = {0, 0, 0, 0};
  mpfr_t *m = d->m;
  for (unsigned j = 0; j < ns; j++)
    mpfr_mul(m[j], wscale, pl->out[j + 1], RND);   /* epsbar_j = m_j w while not formed */
  if (!mpfr_zero_p(pl->out[0])) {
    mpfr_mul(d->tmp, wscale, pl->out[0], RND);
    axpy(d, acc, d->tmp, w);
  }
  if (carry_out) {
    mpfr_mul(d->tmp, wscale, pl->out[ns + 1], RND);
    adeis_vec_lincomb(carry_out, 1, (mpfr_srcptr[]){d->tmp}, (const adeis_vec *[]){w});
  }
  if (carry_in) {
    adeis_vec_copy(d->epsbar[0], carry_in);
    if (!mpfr_zero_p(m[0]))
      axpy(d, d->epsbar[0], m[0], w);
    formed[0] = 1;
  }
  int rc = ADEIS_OK;
  for (unsigned jj = ns; jj-- > 0 && !rc;) {
    const adeis_vec *v = formed[jj] ? d->epsbar[jj] : w;
    mpfr_srcptr scale = formed[jj] ? d->one : m[jj];
    int want_eps = eps_last && jj == ns - 1;
    if (mpfr_zero_p(scale) && !want_eps)
      continue;
    adeis_eval io = {.v = v, .jx = d->ybar, .jz = p->a_z, .sz = scale, .jtheta = p->a_theta,
                     .stheta = scale, .eps = eps_last};
    io.want = ADEIS_WANT_JX | (p->a_z ? ADEIS_WANT_JZ : 0u) | (p->a_theta ? ADEIS_WANT_JTHETA : 0u) |
              (want_eps ? ADEIS_WANT_EPS : 0u);
    rc = adeis_adjoint_eval(p, pl->at[jj], stages[jj], &io);
    if (rc)
      break;
    /* ybar_j = scale * jx feeds x and the earlier evaluations of the stage state */
    mpfr_mul(d->tmp, pl->c[jj][0], scale, RND);
    if (!mpfr_zero_p(d->tmp))
      axpy(d, acc, d->tmp, d->ybar);
    for (unsigned i = 0; i < jj; i++) {
      if (mpfr_zero_p(pl->c[jj][i + 1]))
        continue;
      mpfr_mul(d->tmp, pl->c[jj][i + 1], scale, RND);
      if (!formed[i]) {
        combine(d->epsbar[i], 2, (mpfr_srcptr[]){m[i], d->tmp},
                (const adeis_vec *[]){w, d->ybar});
        formed[i] = 1;
      } else {
        axpy(d, d->epsbar[i], d->tmp, d->ybar);
      }
    }
  }
  return rc;
}

static void plan_of_step(dto *d, adeis_plan *pl, size_t k)
{
  d->f->plan(pl, d->p->sched, k ? &d->pts[k - 1] : NULL, &d->pts[k], &d->pts[k + 1]);
}

/* a_x = xbar_k from xbar_{k+1}, with the states of step k (stages[0] = x_k) */
static int reverse_step(dto *d, size_t k, const adeis_vec *const *stages)
{
  adeis_adjoint_problem *p = d->p;
  plan_of_step(d, &d->pl, k);
  mpfr_set_ui(d->sc, 1, RND);
  adeis_vec_set_zero(d->xbar);
  int uses_prev = d->carry && k > 0;
  int rc = reverse_plan(d, &d->pl, stages, p->a_x, d->sc, d->xbar,
                        d->carry && k + 1 < d->n ? d->carry : NULL,
                        uses_prev ? d->carry_next : NULL, NULL);
  if (rc)
    return rc;
  adeis_vec_copy(p->a_x, d->xbar);
  if (uses_prev) {
    adeis_vec *t = d->carry;
    d->carry = d->carry_next;
    d->carry_next = t;
  }
  if (!adeis_vec_isfinite(p->a_x))
    return adeis_adjoint_fail(p, d->n - 1 - k, &d->pts[k], "the discrete adjoint xbar");
  return ADEIS_OK;
}

static int forward_step(dto *d, size_t k, adeis_vec *x, adeis_vec *const *stages)
{
  int rc = d->f->step(&d->st, k ? &d->pts[k - 1] : NULL, &d->pts[k], &d->pts[k + 1], x, stages);
  if (!rc && !adeis_vec_isfinite(x)) {
    adeis_set_error("%s: x is not finite at forward step %zu, t = %.17g", d->f->name, k,
                    mpfr_get_d(d->pts[k + 1].t, RND));
    rc = ADEIS_ENUMERIC;
  }
  return rc;
}

static int take_loss(dto *d, const adeis_vec *x_end)
{
  adeis_adjoint_problem *p = d->p;
  if (p->x_end != x_end)
    adeis_vec_copy(p->x_end, x_end);
  d->have_grad = 1;
  return p->loss_grad(p->loss_ctx, p->a_x, p->x_end);
}

/* ---- store-all: every state x_k and stage state kept ---- */

static int dto_store_all(dto *d)
{
  size_t ns = d->f->evals, n = d->n;
  adeis_vec **tape = calloc(n * ns, sizeof *tape);
  if (!tape)
    return ADEIS_ENOMEM;
  int rc = ADEIS_OK;
  for (size_t i = 0; i < n * ns && !rc; i++)
    if (!(tape[i] = vec(d)))
      rc = ADEIS_ENOMEM;
  if (!rc)
    adeis_vec_copy(tape[0], d->p->x_T);
  for (size_t k = 0; k < n && !rc; k++) {
    adeis_vec *x = k + 1 < n ? tape[(k + 1) * ns] : d->p->x_end;
    adeis_vec_copy(x, tape[k * ns]);
    adeis_vec *st[ADEIS_PLAN_MAX] = {NULL, NULL, NULL, NULL};
    for (size_t j = 1; j < ns; j++)
      st[j] = tape[k * ns + j];
    rc = forward_step(d, k, x, st);
  }
  if (!rc)
    rc = take_loss(d, d->p->x_end);
  for (size_t k = n; k-- > 0 && !rc;)
    rc = reverse_step(d, k, (const adeis_vec *const *)&tape[k * ns]);
  for (size_t i = 0; i < n * ns; i++)
    adeis_meter_free(d->p->meter, tape[i]);
  free(tape);
  return rc;
}

/* ---- binomial checkpointing ---- */

typedef struct slot {
  adeis_vec *x, *own[1];
} slot;

typedef struct ckpt {
  dto *d;
  size_t s;        /* snapshots */
  slot *slots;
  size_t *pos;
  adeis_vec *xw;   /* the working state */
} ckpt;

static int slot_alloc(ckpt *c, size_t i)
{
  slot *sl = &c->slots[i];
  if (sl->x)
    return ADEIS_OK;
  if (!(sl->x = vec(c->d)))
    return ADEIS_ENOMEM;
  if (c->d->f->state_vecs && !(sl->own[0] = vec(c->d)))
    return ADEIS_ENOMEM;
  return ADEIS_OK;
}

static void snapshot(ckpt *c, size_t i)
{
  adeis_vec_copy(c->slots[i].x, c->xw);
  c->d->f->save(&c->d->st, c->slots[i].own);
}

static void restore(ckpt *c, size_t i)
{
  adeis_vec_copy(c->xw, c->slots[i].x);
  c->d->f->restore(&c->d->st, c->slots[i].own);
}

static int advance(ckpt *c, size_t from, size_t to)
{
  int rc = ADEIS_OK;
  for (size_t k = from; k < to && !rc; k++)
    rc = forward_step(c->d, k, c->xw, NULL);
  return rc;
}

/* reverse step k with x_k in xw; the first one (k = N-1) also steps to x_N for the loss */
static int reverse_one(ckpt *c, size_t k)
{
  dto *d = c->d;
  const adeis_vec *stages[ADEIS_PLAN_MAX] = {c->xw, NULL, NULL, NULL};
  int rc;
  if (!d->have_grad) {
    adeis_vec_copy(d->p->x_end, c->xw);
    rc = forward_step(d, k, d->p->x_end, d->stage);
    for (unsigned j = 1; j < d->f->evals; j++)
      stages[j] = d->stage[j];
    if (!rc)
      rc = take_loss(d, d->p->x_end);
  } else {
    plan_of_step(d, &d->pl, k);
    rc = prepare_stages(d, &d->pl, c->xw, NULL, stages);
  }
  return rc ? rc : reverse_step(d, k, stages);
}

static int checkpoint_sweep(ckpt *c)
{
  size_t b = c->d->n, top = 0;
  int rc = slot_alloc(c, 0);
  c->pos[0] = 0;
  if (!rc) {
    adeis_vec_copy(c->xw, c->d->p->x_T);
    snapshot(c, 0);
  }
  while (!rc) {
    size_t a = c->pos[top], avail = c->s - top;
    if (b - a > 1 && avail >= 2) {
      size_t m = adeis_revolve_split(b - a, avail);
      restore(c, top);
      if ((rc = advance(c, a, a + m)) || (rc = slot_alloc(c, top + 1)))
        break;
      c->pos[++top] = a + m;
      snapshot(c, top);
      continue;
    }
    for (size_t j = b - 1; j > a && !rc; j--) {  /* one snapshot left: from a every time */
      restore(c, top);
      if (!(rc = advance(c, a, j)))
        rc = reverse_one(c, j);
    }
    if (rc)
      break;
    restore(c, top);
    if ((rc = reverse_one(c, a)) || top == 0)
      break;
    b = a;
    top--;
  }
  return rc;
}

static int dto_checkpoint(dto *d)
{
  ckpt c = {.d = d, .s = adeis_store_snapshots(&d->p->store, d->n)};
  if (c.s > d->n)
    c.s = d->n;
  c.slots = calloc(c.s, sizeof *c.slots);
  c.pos = calloc(c.s, sizeof *c.pos);
  int rc = c.slots && c.pos && (c.xw = vec(d)) ? ADEIS_OK : ADEIS_ENOMEM;
  if (!rc)
    rc = checkpoint_sweep(&c);
  for (size_t i = 0; c.slots && i < c.s; i++) {
    adeis_meter_free(d->p->meter, c.slots[i].x);
    adeis_meter_free(d->p->meter, c.slots[i].own[0]);
  }
  adeis_meter_free(d->p->meter, c.xw);
  free(c.slots);
  free(c.pos);
  return rc;
}

/* ---- the reversible coupling (McCallum-Foster) in y = x / alpha ---- */

typedef struct rev {
  dto *d;
  adeis_plan pl;               /* the increment D of one base step, in y */
  adeis_vec *y, *yh, *ybar, *yhbar, *D, *s0;
  adeis_vec **tape;            /* coupled-all: (y_n, yh_n) for every n */
  mpfr_t zeta, omz, izeta, c1, c2;
} rev;

/* D_{from -> to}(y) = x_to/alpha_to - y for the base step from x_from = alpha_from y: the
 * sampler's plan with stage coefficients on x times alpha_from, output over alpha_to, and the
 * (exactly cancelling) y terms dropped */
static void increment_plan(rev *r, const adeis_tpoint *from, const adeis_tpoint *to)
{
  adeis_plan *pl = &r->pl;
  r->d->f->plan(pl, r->d->p->sched, NULL, from, to);
  for (unsigned j = 0; j < pl->stages; j++)
    mpfr_mul(pl->c[j][0], pl->c[j][0], from->alpha, RND);
  mpfr_set_zero(pl->out[0], 1);
  for (unsigned j = 1; j <= pl->stages; j++)
    mpfr_div(pl->out[j], pl->out[j], to->alpha, RND);
}

/* D = the increment at base y (counted) */
static int increment(rev *r, const adeis_tpoint *from, const adeis_tpoint *to, const adeis_vec *y)
{
  increment_plan(r, from, to);
  return adeis_plan_run(&r->d->st, &r->pl, r->D, y, NULL, NULL);
}

/* acc += wscale J_D(y)^T w (and a_z, a_theta), D = the increment at y from the same evaluations */
static int increment_vjp(rev *r, const adeis_tpoint *from, const adeis_tpoint *to,
                         const adeis_vec *y, const adeis_vec *w, mpfr_srcptr wscale, adeis_vec *acc)
{
  dto *d = r->d;
  const adeis_vec *stages[ADEIS_PLAN_MAX];
  increment_plan(r, from, to);
  unsigned ns = r->pl.stages;
  int rc = prepare_stages(d, &r->pl, y, r->s0, stages);
  if (!rc)
    rc = reverse_plan(d, &r->pl, stages, w, wscale, acc, NULL, NULL, d->st.eps[ns - 1]);
  if (rc)
    return rc;
  mpfr_srcptr c[ADEIS_PLAN_MAX];
  const adeis_vec *v[ADEIS_PLAN_MAX];
  for (unsigned j = 0; j < ns; j++) {
    c[j] = r->pl.out[j + 1];
    v[j] = d->st.eps[j];
  }
  combine(r->D, ns, c, v);
  return ADEIS_OK;
}

static int rev_forward(rev *r)
{
  dto *d = r->d;
  const adeis_tpoint *pts = d->pts;
  mpfr_t one, mone;
  mpfr_inits2(2, one, mone, (mpfr_ptr)0);
  mpfr_set_ui(one, 1, RND);
  mpfr_set_si(mone, -1, RND);
  int rc = ADEIS_OK;
  for (size_t k = 0; k < d->n && !rc; k++) {
    if (r->tape) {
      adeis_vec_copy(r->tape[2 * k], r->y);
      adeis_vec_copy(r->tape[2 * k + 1], r->yh);
    }
    /* y' = zeta y + (1 - zeta) yh + D_{k->k+1}(yh);  yh' = yh - D_{k+1->k}(y') */
    if ((rc = increment(r, &pts[k], &pts[k + 1], r->yh)))
      break;
    combine(r->y, 3, (mpfr_srcptr[]){r->zeta, r->omz, one},
            (const adeis_vec *[]){r->y, r->yh, r->D});
    if ((rc = increment(r, &pts[k + 1], &pts[k], r->y)))
      break;
    combine(r->yh, 2, (mpfr_srcptr[]){one, mone}, (const adeis_vec *[]){r->yh, r->D});
    if (!adeis_vec_isfinite(r->y) || !adeis_vec_isfinite(r->yh)) {
      adeis_set_error("%s (reversible): y is not finite at forward step %zu", d->f->name, k);
      rc = ADEIS_ENUMERIC;
    }
  }
  mpfr_clears(one, mone, (mpfr_ptr)0);
  return rc;
}

static int rev_backward(rev *r)
{
  dto *d = r->d;
  const adeis_tpoint *pts = d->pts;
  mpfr_t one, mone;
  mpfr_inits2(2, one, mone, (mpfr_ptr)0);
  mpfr_set_ui(one, 1, RND);
  mpfr_set_si(mone, -1, RND);
  int rc = ADEIS_OK;
  for (size_t k = d->n; k-- > 0 && !rc;) {
    /* undo yh' = yh - D2(y'): ybar' -= J_D2^T yhbar';  yh = yh' + D2(y') */
    if ((rc = increment_vjp(r, &pts[k + 1], &pts[k], r->y, r->yhbar, mone, r->ybar)))
      break;
    if (r->tape)
      adeis_vec_copy(r->yh, r->tape[2 * k + 1]);
    else
      combine(r->yh, 2, (mpfr_srcptr[]){one, one}, (const adeis_vec *[]){r->yh, r->D});
    /* undo y' = zeta y + (1 - zeta) yh + D1(yh): yhbar += (1 - zeta) ybar' + J_D1^T ybar',
     * ybar = zeta ybar';  y = (y' - (1 - zeta) yh - D1(yh)) / zeta */
    if ((rc = increment_vjp(r, &pts[k], &pts[k + 1], r->yh, r->ybar, one, r->yhbar)))
      break;
    if (r->tape)
      adeis_vec_copy(r->y, r->tape[2 * k]);
    else
      combine(r->y, 3, (mpfr_srcptr[]){r->izeta, r->c1, r->c2},
              (const adeis_vec *[]){r->y, r->yh, r->D});
    if (!mpfr_zero_p(r->omz))
      axpy(d, r->yhbar, r->omz, r->ybar);
    adeis_vec_lincomb(r->ybar, 1, (mpfr_srcptr[]){r->zeta}, (const adeis_vec *[]){r->ybar});
    if (!adeis_vec_isfinite(r->ybar) || !adeis_vec_isfinite(r->yhbar)) {
      rc = adeis_adjoint_fail(d->p, d->n - 1 - k, &pts[k], "the discrete adjoint (ybar, yhbar)");
      break;
    }
  }
  mpfr_clears(one, mone, (mpfr_ptr)0);
  return rc;
}

static int rev_alloc(rev *r)
{
  dto *d = r->d;
  adeis_plan_init(&r->pl, d->p->sched->prec);
  mpfr_inits2(d->p->sched->prec, r->zeta, r->omz, r->izeta, r->c1, r->c2, (mpfr_ptr)0);
  mpfr_set_d(r->zeta, d->p->zeta, RND);
  mpfr_ui_sub(r->omz, 1, r->zeta, RND);
  mpfr_ui_div(r->izeta, 1, r->zeta, RND);
  mpfr_div(r->c1, r->omz, r->zeta, RND);
  mpfr_neg(r->c1, r->c1, RND);                 /* -(1 - zeta)/zeta */
  mpfr_neg(r->c2, r->izeta, RND);              /* -1/zeta */
  if (!(r->y = vec(d)) || !(r->yh = vec(d)) || !(r->ybar = vec(d)) || !(r->yhbar = vec(d)) ||
      !(r->D = vec(d)) || !(r->s0 = vec(d)))
    return ADEIS_ENOMEM;
  if (d->p->store.kind != ADEIS_STORE_COUPLED_ALL)
    return ADEIS_OK;
  if (!(r->tape = calloc(2 * d->n, sizeof *r->tape)))
    return ADEIS_ENOMEM;
  for (size_t i = 0; i < 2 * d->n; i++)
    if (!(r->tape[i] = vec(d)))
      return ADEIS_ENOMEM;
  return ADEIS_OK;
}

static void rev_free(rev *r)
{
  adeis_vecmeter *mt = r->d->p->meter;
  adeis_vec *vs[] = {r->y, r->yh, r->ybar, r->yhbar, r->D, r->s0};
  for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
    adeis_meter_free(mt, vs[i]);
  for (size_t i = 0; r->tape && i < 2 * r->d->n; i++)
    adeis_meter_free(mt, r->tape[i]);
  free(r->tape);
  adeis_plan_clear(&r->pl);
  mpfr_clears(r->zeta, r->omz, r->izeta, r->c1, r->c2, (mpfr_ptr)0);
}

/* the reconstructed x_T = alpha_0 y_0 against the given one */
static void reconstruction_error(rev *r)
{
  dto *d = r->d;
  mpfr_t e;
  mpfr_init2(e, 64);
  adeis_vec_lincomb(r->D, 1, (mpfr_srcptr[]){d->pts[0].alpha}, (const adeis_vec *[]){r->y});
  adeis_vec_rel_dist(e, r->D, d->p->x_T);
  d->p->recon_error = mpfr_get_d(e, RND);
  mpfr_clear(e);
}

static int dto_reversible(dto *d)
{
  rev r;
  memset(&r, 0, sizeof r);
  r.d = d;
  adeis_adjoint_problem *p = d->p;
  const adeis_tpoint *t0 = &d->pts[0], *tN = &d->pts[d->n];
  int rc = rev_alloc(&r);
  if (!rc) {
    mpfr_ui_div(d->tmp, 1, t0->alpha, RND);
    adeis_vec_lincomb(r.y, 1, (mpfr_srcptr[]){d->tmp}, (const adeis_vec *[]){p->x_T});
    adeis_vec_copy(r.yh, r.y);
    rc = rev_forward(&r);
  }
  if (!rc) {
    adeis_vec_lincomb(r.D, 1, (mpfr_srcptr[]){tN->alpha}, (const adeis_vec *[]){r.y});
    rc = take_loss(d, r.D);
  }
  if (!rc) {
    adeis_vec_lincomb(r.ybar, 1, (mpfr_srcptr[]){tN->alpha}, (const adeis_vec *[]){p->a_x});
    adeis_vec_set_zero(r.yhbar);
    rc = rev_backward(&r);
  }
  if (!rc) {
    mpfr_ui_div(d->tmp, 1, t0->alpha, RND);
    adeis_vec_lincomb(p->a_x, 2, (mpfr_srcptr[]){d->tmp, d->tmp},
                      (const adeis_vec *[]){r.ybar, r.yhbar});
    reconstruction_error(&r);
  }
  rev_free(&r);
  return rc;
}

static int dto_solve(const adeis_method *m, adeis_adjoint_problem *p)
{
  if (!p->x_T || !p->x_end || !p->loss_grad) {
    adeis_set_error("%s: the discrete adjoint needs x_T and the loss", m->name);
    return ADEIS_EINPUT;
  }
  dto d;
  int rc = dto_init(&d, m, p);
  p->recon_error = 0;
  if (!rc) {
    switch (p->store.kind) {
    case ADEIS_STORE_CHECKPOINT: rc = dto_checkpoint(&d); break;
    case ADEIS_STORE_REVERSIBLE:
    case ADEIS_STORE_COUPLED_ALL: rc = dto_reversible(&d); break;
    default: rc = dto_store_all(&d); break;
    }
  }
  dto_clear(&d);
  return rc;
}

#define DTO_METHOD(id, nm, ord, fwd, fl, text)                                                   \
  const adeis_method adeis_method_##id = {                                                       \
    .name = nm,                                                                                  \
    .order = ord,                                                                                \
    .family = ADEIS_FAMILY_DTO,                                                                  \
    .flags = ADEIS_METHOD_DISCRETE | (fl),                                                       \
    .ode_states = 1u << ADEIS_STATE_CACHED,                                                      \
    .sde_states = 0,                                                                             \
    .forward = fwd,                                                                              \
    .in_lambda = 1,                                                                              \
    .n_nodes = 1,                                                                                \
    .nodes = dto_node0,                                                                          \
    .summary = text,                                                                             \
    .solve = dto_solve,                                                                          \
    .data = NULL,                                                                                \
  }

static const adeis_node dto_node0[] = {{0, 1}};

DTO_METHOD(dto_dpm_1, "dto-dpm-1", 1, "dpm-1", ADEIS_METHOD_REVERSIBLE,
           "discrete adjoint of dpm-1 (DDIM); --store all|checkpoint:S|reversible");
DTO_METHOD(dto_dpm_2m, "dto-dpm-2m", 2, "dpm-2m", 0u,
           "discrete adjoint of dpm-2m; --store all|checkpoint:S");
DTO_METHOD(dto_dpm_2s, "dto-dpm-2s", 2, "dpm-2s", ADEIS_METHOD_REVERSIBLE,
           "discrete adjoint of dpm-2s; --store all|checkpoint:S|reversible");
DTO_METHOD(dto_rk4_lambda, "dto-rk4-lambda", 4, "rk4-lambda", 0u,
           "discrete adjoint of RK4 in lambda on the PF-ODE; --store all|checkpoint:S");
