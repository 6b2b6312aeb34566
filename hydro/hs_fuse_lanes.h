/* hs_fuse_lanes.h -- internal to hydro/hs_fuse.c, which includes it once per lane width: FUSE's
 * implicit solver over a group of FL_W HRUs (see the comment before the includes). FL(name)
 * appends the width to every name, so that the copies coexist. No include guard: on purpose. */
#if !defined(FL_W) || !defined(FL)
#error "hs_fuse_lanes.h is included by hs_fuse.c with FL_W and FL defined"
#endif

typedef struct FL(fl) {
    _Alignas(64) double v[FL_W];
    double d[FUSE_NSLOT][FL_W]; /* rows 0..ng-1 of the shape are used */
} FL(fl);

/* The per-HRU constants of the flux code, one array over lanes each. */
typedef struct FL(fl_par) {
    _Alignas(64) double cap[FUSE_NSLOT][FL_W];
    double maxwatr1[FL_W], maxwatr2[FL_W], maxtens_1[FL_W], maxtens_1a[FL_W];
    double maxtens_1b[FL_W], maxfree_1[FL_W], maxtens_2[FL_W], maxfree_2a[FL_W];
    double maxfree_2b[FL_W], rtfrac1[FL_W], rtfrac2[FL_W], sareamax[FL_W];
    double bexp[FL_W], iflwrte[FL_W], percrte[FL_W], percexp[FL_W], sacpmlt[FL_W];
    double sacpexp[FL_W], qbsat[FL_W], percfrac[FL_W], qbrate_2a[FL_W];
    double qbrate_2b[FL_W], qb_prms[FL_W], baserte[FL_W], qb_powr[FL_W];
    double powlamb[FL_W], maxpow[FL_W], chi[FL_W], tishape[FL_W], lga[FL_W];
    /* 1 / capacity, for fl_div_unit and fl_ratio_unit (fd_div) */
    double r_maxwatr1[FL_W], r_maxwatr2[FL_W], r_maxtens_1[FL_W], r_maxtens_1a[FL_W];
    double r_maxtens_1b[FL_W], r_maxtens_2[FL_W], r_maxfree_1[FL_W];
    /* 1 / (PSMOOTH capacity), for fl_logistic (fd_logistic) */
    double p_maxwatr1[FL_W], p_maxwatr2[FL_W], p_maxtens_1[FL_W], p_maxtens_1a[FL_W];
    double p_maxtens_1b[FL_W], p_maxtens_2[FL_W], p_maxfree_1[FL_W], p_maxfree_2a[FL_W];
    double p_maxfree_2b[FL_W];
} FL(fl_par);

typedef struct FL(fl_flux) {
    _Alignas(64) double qsx[FL_W];
    double e1a[FL_W], e1b[FL_W], e2[FL_W], qif[FL_W], q12[FL_W];
    double rchr2excs[FL_W], tens2free_1[FL_W], oflow_1[FL_W], tens2free_2[FL_W];
    double oflow_2a[FL_W], oflow_2b[FL_W], qb_a[FL_W], qb_b[FL_W];
} FL(fl_flux);

/* The lane forms of the fd_* operations; r may be one of the operands (each lane reads its
 * elements before writing them). */
FUSE_INLINE void FL(fl_zero)(int ng, FL(fl) *r)
{
    FUSE_LANES r->v[l] = 0.0;
    for (int k = 0; k < ng; k++) FUSE_LANES r->d[k][l] = 0.0;
}

FUSE_INLINE void FL(fl_add)(int ng, FL(fl) *r, const FL(fl) *a, const FL(fl) *b)
{
    for (int k = 0; k < ng; k++) FUSE_LANES r->d[k][l] = a->d[k][l] + b->d[k][l];
    FUSE_LANES r->v[l] = a->v[l] + b->v[l];
}

FUSE_INLINE void FL(fl_sub)(int ng, FL(fl) *r, const FL(fl) *a, const FL(fl) *b)
{
    for (int k = 0; k < ng; k++) FUSE_LANES r->d[k][l] = a->d[k][l] - b->d[k][l];
    FUSE_LANES r->v[l] = a->v[l] - b->v[l];
}

/* fd_sub(fd_const(c), a) */
FUSE_INLINE void FL(fl_csub)(int ng, FL(fl) *r, const double *c, const FL(fl) *a)
{
    for (int k = 0; k < ng; k++) FUSE_LANES r->d[k][l] = 0.0 - a->d[k][l];
    FUSE_LANES r->v[l] = c[l] - a->v[l];
}

/* fd_sub(a, fd_const(c)) */
FUSE_INLINE void FL(fl_subc)(int ng, FL(fl) *r, const FL(fl) *a, const double *c)
{
    for (int k = 0; k < ng; k++) FUSE_LANES r->d[k][l] = a->d[k][l] - 0.0;
    FUSE_LANES r->v[l] = a->v[l] - c[l];
}

FUSE_INLINE void FL(fl_mul)(int ng, FL(fl) *r, const FL(fl) *a, const FL(fl) *b)
{
    for (int k = 0; k < ng; k++)
        FUSE_LANES r->d[k][l] = a->d[k][l] * b->v[l] + a->v[l] * b->d[k][l];
    FUSE_LANES r->v[l] = a->v[l] * b->v[l];
}

/* fd_mul(fd_const(c), b) */
FUSE_INLINE void FL(fl_cmul)(int ng, FL(fl) *r, const double *c, const FL(fl) *b)
{
    for (int k = 0; k < ng; k++) FUSE_LANES r->d[k][l] = 0.0 * b->v[l] + c[l] * b->d[k][l];
    FUSE_LANES r->v[l] = c[l] * b->v[l];
}

/* fd_div(a, 2): a * 0.5 is a / 2 exactly (both round the same real number). */
FUSE_INLINE void FL(fl_halve)(int ng, FL(fl) *r, const FL(fl) *a)
{
    for (int k = 0; k < ng; k++) FUSE_LANES r->d[k][l] = a->d[k][l] * 0.5;
    FUSE_LANES r->v[l] = a->v[l] * 0.5;
}

FUSE_INLINE void FL(fl_scale)(int ng, FL(fl) *r, const FL(fl) *a, const double *c)
{
    for (int k = 0; k < ng; k++) FUSE_LANES r->d[k][l] = a->d[k][l] * c[l];
    FUSE_LANES r->v[l] = a->v[l] * c[l];
}


/* fd_div(s, c) and fd_ratio(s, c) for an s whose gradient rows hold only 0 and 1 (a state or a
 * sum of distinct states, clipped or not: each row is the unit derivative of at most one
 * state); rc = 1/c. For those rows d * (1/c) is d / c exactly, which saves the vector division
 * of every row but the value's. */
FUSE_INLINE void FL(fl_div_unit)(int ng, FL(fl) *r, const FL(fl) *s, const double *c,
                                 const double *rc)
{
    (void)c;
    for (int k = 0; k < ng; k++) FUSE_LANES r->d[k][l] = s->d[k][l] * rc[l];
    FUSE_LANES r->v[l] = s->v[l] * rc[l];
}

FUSE_INLINE void FL(fl_ratio_unit)(int ng, FL(fl) *r, const FL(fl) *s, const double *cap,
                                   const double *rc)
{
    for (int k = 0; k < ng; k++)
        FUSE_LANES r->d[k][l] = cap[l] > 0.0 ? s->d[k][l] * rc[l] : 0.0;
    FUSE_LANES r->v[l] = cap[l] > 0.0 ? s->v[l] * rc[l] : 0.0;
}

/* fd_min(a, c) */
FUSE_INLINE void FL(fl_min)(int ng, FL(fl) *r, const FL(fl) *a, const double *c)
{
    for (int k = 0; k < ng; k++) FUSE_LANES r->d[k][l] = a->v[l] < c[l] ? a->d[k][l] : 0.0;
    FUSE_LANES r->v[l] = a->v[l] < c[l] ? a->v[l] : c[l];
}

FUSE_INLINE void FL(fl_pos)(int ng, FL(fl) *r, const FL(fl) *a)
{
    for (int k = 0; k < ng; k++) FUSE_LANES r->d[k][l] = a->v[l] > 0.0 ? a->d[k][l] : 0.0;
    FUSE_LANES r->v[l] = a->v[l] > 0.0 ? a->v[l] : 0.0;
}

/* fd_pow in every lane (those not `live` are dropped by the caller). */
FUSE_INLINE void FL(fl_pow)(int ng, FL(fl) *r, const FL(fl) *a, const double *e,
                            const fl_mask *live)
{
    double pw[FL_W], dp[FL_W], y[FL_W];
    (void)live; /* every lane: a vector computes them all anyway */
    fl_mask far = 0;
    FUSE_LANES_OR(far) {
        y[l] = fuse_pow_y(a->v[l], e[l]);
        fuse_pow_d(a->v[l], e[l], y[l], &pw[l], &dp[l]);
        far |= (y[l] > FUSE_POW_Q_MAX) & (a->v[l] > 0.0);
    }
    if (far)
        for (int l = 0; l < FL_W; l++)
            if (y[l] > FUSE_POW_Q_MAX && a->v[l] > 0.0) pw[l] = fuse_pow_far(a->v[l], e[l]);
    for (int k = 0; k < ng; k++) FUSE_LANES r->d[k][l] = a->d[k][l] * dp[l];
    FUSE_LANES r->v[l] = pw[l];
}

/* fd_logistic; rpsi = 1 / (PSMOOTH smax) */
FUSE_INLINE void FL(fl_logistic)(int ng, FL(fl) *r, const FL(fl) *s, const double *smax,
                                 const double *rpsi, const fl_mask *live)
{
    double z[FL_W], ez[FL_W], dl[FL_W], lv[FL_W];
    /* Below 0.449 smax, z > 50.1 in exact arithmetic, so z > 50 after rounding too: when every
     * lane is that far from its capacity the result is 0, without the divisions below. */
    int near = 0;
    FUSE_LANES_OR(near) near |= live[l] & !(s->v[l] < 0.449 * smax[l]);
    if (!near) {
        FL(fl_zero)(ng, r);
        return;
    }
    FUSE_LANES {
        const double psi = FUSE_PSMOOTH * smax[l];
        z[l] = -(s->v[l] - smax[l] + 5.0 * psi) * rpsi[l];
    }
    FUSE_LANES { /* every lane, as fl_pow */
        const bool far = z[l] > 50.0;
        const double v = hs_vm_exp(far ? 0.0 : z[l]);
        ez[l] = far ? 0.0 : v;
    }
    FUSE_LANES {
        const double lg = 1.0 / (1.0 + ez[l]);
        const bool far = z[l] > 50.0;
        lv[l] = far ? 0.0 : lg;
        dl[l] = lg * (1.0 - lg) * rpsi[l];
    }
    for (int k = 0; k < ng; k++)
        FUSE_LANES r->d[k][l] = z[l] > 50.0 ? 0.0 : s->d[k][l] * dl[l];
    FUSE_LANES r->v[l] = lv[l];
}


/* fuse_gamma_p(a, lga, x, dens) in the lanes of `in` (the others get 0): the special cases and
 * the prefactor (libm calls) lane by lane, then the series and the continued fraction over
 * lanes, each lane stopping at its own convergence test. */
FUSE_INLINE void FL(fl_gamma_p)(const double *a, const double *lga, const double *x,
                                const fl_mask *in, double *p, double *dens)
{
    _Alignas(64) double pre[FL_W], sum[FL_W], term[FL_W], ap[FL_W];
    _Alignas(64) double b[FL_W], c[FL_W], d[FL_W], h[FL_W];
    fl_mask ser[FL_W], cf[FL_W], mode[FL_W]; /* mode: 1 series, 2 fraction */
    int any_ser = 0, any_cf = 0;
    for (int l = 0; l < FL_W; l++) {
        ser[l] = cf[l] = mode[l] = 0;
        p[l] = dens[l] = pre[l] = 0.0;
        if (!in[l]) continue;
        const double al = a[l], xl = x[l];
        if (!(al > 0.0) || !(xl >= 0.0)) {
            p[l] = NAN;
            continue;
        }
        if (xl == 0.0) continue;
        if (isinf(xl)) {
            p[l] = 1.0;
            continue;
        }
        pre[l] = exp(-xl + al * log(xl) - lga[l]);
        dens[l] = pre[l] / xl;
        ser[l] = xl < al + 1.0;
        cf[l] = !ser[l];
        mode[l] = ser[l] ? 1 : 2;
        any_ser |= ser[l];
        any_cf |= cf[l];
    }
    if (any_ser) {
        FUSE_LANES {
            ap[l] = a[l];
            term[l] = 1.0 / a[l];
            sum[l] = term[l];
        }
        for (int k = 0; k < FUSE_GAMMA_MAX_TERMS && any_ser; k++) {
            any_ser = 0;
            FUSE_LANES {
                const double apn = ap[l] + 1.0;
                const double tn = term[l] * (x[l] / apn);
                const double sn = sum[l] + tn;
                ap[l] = ser[l] ? apn : ap[l];
                term[l] = ser[l] ? tn : term[l];
                sum[l] = ser[l] ? sn : sum[l];
                ser[l] = ser[l] && !(fabs(tn) < fabs(sn) * 1e-17);
            }
            for (int l = 0; l < FL_W; l++) any_ser |= ser[l];
        }
        for (int l = 0; l < FL_W; l++)
            if (mode[l] == 1) p[l] = sum[l] * pre[l];
    }
    if (any_cf) {
        const double tiny = 1e-300;
        FUSE_LANES {
            b[l] = x[l] + 1.0 - a[l];
            c[l] = 1.0 / tiny;
            d[l] = 1.0 / b[l];
            h[l] = d[l];
        }
        for (int i = 1; i < FUSE_GAMMA_MAX_TERMS && any_cf; i++) {
            any_cf = 0;
            FUSE_LANES {
                const double an = -i * (i - a[l]);
                const double bn = b[l] + 2.0;
                double dn = an * d[l] + bn;
                dn = fabs(dn) < tiny ? tiny : dn;
                double cn = bn + an / c[l];
                cn = fabs(cn) < tiny ? tiny : cn;
                dn = 1.0 / dn;
                const double delta = dn * cn;
                const double hn = h[l] * delta;
                b[l] = cf[l] ? bn : b[l];
                d[l] = cf[l] ? dn : d[l];
                c[l] = cf[l] ? cn : c[l];
                h[l] = cf[l] ? hn : h[l];
                cf[l] = cf[l] && !(fabs(delta - 1.0) < 1e-16);
            }
            for (int l = 0; l < FL_W; l++) any_cf |= cf[l];
        }
        for (int l = 0; l < FL_W; l++)
            if (mode[l] == 2) p[l] = 1.0 - pre[l] * h[l];
    }
}

#if FL_W == 8
/* cum[k] = fuse_gamma_p(shape, lga, max(0, (k + 1) w - offset) / chi) for the FUSE_TI_BINS bins
 * of POWLAMB (hs_fuse_derive), FL_W bins at a time. */
FUSE_CLONES static void fuse_gamma_p_bins(double shape, double lga, double chi, double *cum)
{
    const double w = FUSE_TI_MAX / FUSE_TI_BINS;
    _Alignas(64) double a[FL_W], lg[FL_W], x[FL_W], p[FL_W], dens[FL_W];
    fl_mask in[FL_W];
    for (int l = 0; l < FL_W; l++) {
        a[l] = shape;
        lg[l] = lga;
        in[l] = 1;
    }
    for (int k0 = 0; k0 < FUSE_TI_BINS; k0 += FL_W) {
        for (int l = 0; l < FL_W; l++) {
            const double hi = (k0 + l + 1) * w;
            x[l] = fuse_pos0(hi - FUSE_TI_OFFSET) / chi;
        }
        FL(fl_gamma_p)(a, lg, x, in, p, dens);
        for (int l = 0; l < FL_W && k0 + l < FUSE_TI_BINS; l++) cum[k0 + l] = p[l];
    }
}

#endif

/* All zero: the terms a structure does not have. */
static const FL(fl) FL(fl_zeros);

/* fuse_eval over lanes: fluxes f, their gradient rows fd and state derivatives dx (active
 * slots) at states xin. */
FUSE_INLINE void FL(fl_eval)(const FL(fl_par) *P, const fuse_shape *sh, const double (*xin)[FL_W],
                             const double *peff, const double *pet, const fl_mask *live,
                             FL(fl_flux) *f, FL(fl_flux) *fd, FL(fl) *dx)
{
    const hs_fuse_decisions *d = &sh->d;
    const int ng = sh->ng;
    const int *gidx = sh->gidx;
    const FL(fl) *const zero = &FL(fl_zeros);
    FL(fl) x[FUSE_NSLOT];
    for (int s = 0; s < FUSE_NSLOT; s++) {
        const bool used = s < 3 ? s < (d->arch1 == HS_FUSE_ONESTATE_1   ? 1
                                       : d->arch1 == HS_FUSE_TENSION1_1 ? 2
                                                                        : 3)
                                : s == 3 || d->arch2 == HS_FUSE_TENS2PLL_2;
        if (!used) continue; /* a slot the structure lacks: never read below */
        const double *c = P->cap[s];
        FUSE_LANES x[s].v[l] = fuse_clip(xin[s][l], c[l]);
        for (int k = 0; k < ng; k++) {
            if (k == gidx[s])
                FUSE_LANES x[s].d[k][l] = ((xin[s][l] >= 0.0) & (xin[s][l] < c[l])) ? 1.0 : 0.0;
            else
                FUSE_LANES x[s].d[k][l] = 0.0;
        }
    }

    /* Diagnostic sub-states (§3.2). */
    FL(fl) watr1_s, tens1_s, free1_s;
    const FL(fl) *watr1 = &watr1_s, *tens1 = &tens1_s, *free1 = &free1_s, *tens1a = zero,
             *tens1b = zero;
    if (d->arch1 == HS_FUSE_ONESTATE_1) {
        watr1 = &x[0];
        FL(fl_min)(ng, &tens1_s, watr1, P->maxtens_1);
        FL(fl_subc)(ng, &free1_s, watr1, P->maxtens_1);
        FL(fl_pos)(ng, &free1_s, &free1_s);
    } else if (d->arch1 == HS_FUSE_TENSION1_1) {
        tens1 = &x[0];
        free1 = &x[1];
        FL(fl_add)(ng, &watr1_s, tens1, free1);
    } else {
        tens1a = &x[0];
        tens1b = &x[1];
        free1 = &x[2];
        FL(fl_add)(ng, &tens1_s, tens1a, tens1b);
        FL(fl_add)(ng, &watr1_s, tens1, free1);
    }
    FL(fl) watr2_s, tens2_s;
    const FL(fl) *watr2 = &watr2_s, *tens2 = &tens2_s, *free2a = zero, *free2b = zero;
    if (d->arch2 == HS_FUSE_TENS2PLL_2) {
        tens2 = &x[3];
        free2a = &x[4];
        free2b = &x[5];
        FL(fl_add)(ng, &watr2_s, tens2, free2a);
        FL(fl_add)(ng, &watr2_s, &watr2_s, free2b);
    } else {
        watr2 = &x[3];
        FL(fl_min)(ng, &tens2_s, watr2, P->maxtens_2);
    }

    /* 1. Saturated area and surface runoff. */
    FL(fl) ac, t1, t2;
    if (d->qsurf == HS_FUSE_ARNO_X_VIC) {
        FL(fl_div_unit)(ng, &t1, watr1, P->maxwatr1, P->r_maxwatr1);
        FL(fl_min)(ng, &t1, &t1, fl_one);
        FL(fl_csub)(ng, &t1, fl_one, &t1);
        FL(fl_pow)(ng, &t1, &t1, P->bexp, live);
        FL(fl_csub)(ng, &ac, fl_one, &t1);
    } else if (d->qsurf == HS_FUSE_PRMS_VARNT) {
        FL(fl_div_unit)(ng, &t1, tens1, P->maxtens_1, P->r_maxtens_1);
        FL(fl_min)(ng, &t1, &t1, fl_one);
        FL(fl_scale)(ng, &ac, &t1, P->sareamax);
    } else {
        double dac[FL_W], acv[FL_W], w[FL_W], y0[FL_W], y[FL_W], gp[FL_W];
        double dens[FL_W];
        fl_mask in[FL_W];
        for (int l = 0; l < FL_W; l++) {
            w[l] = watr2->v[l] / P->maxwatr2[l] + 1e-8;
            const double zeta = P->powlamb[l] / w[l];
            in[l] = live[l] && !(zeta > P->maxpow[l]);
            y0[l] = in[l] ? P->qb_powr[l] * log(zeta) - FUSE_TI_OFFSET : 0.0;
            y[l] = fuse_pos0(y0[l]) / P->chi[l];
        }
        FL(fl_gamma_p)(P->tishape, P->lga, y, in, gp, dens);
        FUSE_LANES {
            const double n = P->qb_powr[l];
            acv[l] = in[l] ? 1.0 - gp[l] : 0.0;
            dac[l] = in[l] && y0[l] > 0.0 ? dens[l] * n / P->chi[l] / (w[l] * P->maxwatr2[l])
                                          : 0.0;
        }
        for (int k = 0; k < ng; k++) FUSE_LANES ac.d[k][l] = dac[l] * watr2->d[k][l];
        FUSE_LANES ac.v[l] = acv[l]; /* zeta > maxpow: dac = 0 times watr2's 0 or 1 is +0 */
    }
    FL(fl) qsx;
    FL(fl_scale)(ng, &qsx, &ac, peff);

    /* 2. Upper-layer evaporation. */
    const bool root = d->esoil == HS_FUSE_ROOTWEIGHT;
    double c1[FL_W], c2[FL_W];
    FL(fl) e1a, e1b_s, e1_s;
    const FL(fl) *e1b = zero, *e1 = &e1_s;
    if (d->arch1 == HS_FUSE_TENSION2_1) {
        if (root) {
            FUSE_LANES c1[l] = pet[l] * P->rtfrac1[l];
            FUSE_LANES c2[l] = pet[l] * P->rtfrac2[l];
            FL(fl_ratio_unit)(ng, &t1, tens1a, P->maxtens_1a, P->r_maxtens_1a);
            FL(fl_scale)(ng, &e1a, &t1, c1);
            FL(fl_ratio_unit)(ng, &t1, tens1b, P->maxtens_1b, P->r_maxtens_1b);
            FL(fl_scale)(ng, &e1b_s, &t1, c2);
        } else {
            FL(fl_ratio_unit)(ng, &t1, tens1a, P->maxtens_1a, P->r_maxtens_1a);
            FL(fl_scale)(ng, &e1a, &t1, pet);
            FL(fl_csub)(ng, &t1, pet, &e1a);
            FL(fl_ratio_unit)(ng, &t2, tens1b, P->maxtens_1b, P->r_maxtens_1b);
            FL(fl_mul)(ng, &e1b_s, &t1, &t2);
        }
        e1b = &e1b_s;
        FL(fl_add)(ng, &e1_s, &e1a, e1b);
    } else {
        FL(fl_ratio_unit)(ng, &t1, tens1, P->maxtens_1, P->r_maxtens_1);
        FL(fl_scale)(ng, &t1, &t1, pet);
        FL(fl_scale)(ng, &e1a, &t1, root ? P->rtfrac1 : fl_one);
        e1 = &e1a;
    }

    /* 3. Lower-layer evaporation, only for these architecture pairs. */
    FL(fl) e2_s;
    const FL(fl) *e2 = zero;
    if ((d->arch2 == HS_FUSE_TENS2PLL_2 || d->arch2 == HS_FUSE_FIXEDSIZ_2) &&
        d->arch1 != HS_FUSE_TENSION2_1) {
        FL(fl_ratio_unit)(ng, &t2, tens2, P->maxtens_2, P->r_maxtens_2);
        if (root) {
            FUSE_LANES c1[l] = pet[l] * P->rtfrac2[l];
            FL(fl_cmul)(ng, &e2_s, c1, &t2);
        } else {
            FL(fl_csub)(ng, &t1, pet, e1);
            FL(fl_mul)(ng, &e2_s, &t1, &t2);
        }
        e2 = &e2_s;
    }

    /* 4. Interflow. */
    FL(fl) qif_s;
    const FL(fl) *qif = zero;
    if (d->qintf == HS_FUSE_INTFLWSOME) {
        FL(fl_ratio_unit)(ng, &t1, free1, P->maxfree_1, P->r_maxfree_1);
        FL(fl_scale)(ng, &qif_s, &t1, P->iflwrte);
        qif = &qif_s;
    }

    /* 5. Percolation. */
    FL(fl) q12;
    if (d->qperc == HS_FUSE_PERC_F2SAT) {
        FL(fl_ratio_unit)(ng, &t1, free1, P->maxfree_1, P->r_maxfree_1);
        FL(fl_pow)(ng, &t1, &t1, P->percexp, live);
        FL(fl_scale)(ng, &q12, &t1, P->percrte);
    } else if (d->qperc == HS_FUSE_PERC_W2SAT) {
        FL(fl_div_unit)(ng, &t1, watr1, P->maxwatr1, P->r_maxwatr1);
        FL(fl_min)(ng, &t1, &t1, fl_one);
        FL(fl_pow)(ng, &t1, &t1, P->percexp, live);
        FL(fl_scale)(ng, &q12, &t1, P->percrte);
    } else {
        FL(fl_div_unit)(ng, &t1, watr2, P->maxwatr2, P->r_maxwatr2);
        FL(fl_csub)(ng, &t1, fl_one, &t1);
        FL(fl_pos)(ng, &t1, &t1); /* deficit */
        FL(fl_pow)(ng, &t1, &t1, P->sacpexp, live);
        FL(fl_scale)(ng, &t1, &t1, P->sacpmlt);
        FUSE_LANES t1.v[l] = 1.0 + t1.v[l]; /* fd_add(fd_const(1), .): d = 0 + d */
        for (int k = 0; k < ng; k++) FUSE_LANES t1.d[k][l] = 0.0 + t1.d[k][l];
        FL(fl_scale)(ng, &t1, &t1, P->qbsat);
        FL(fl_ratio_unit)(ng, &t2, free1, P->maxfree_1, P->r_maxfree_1);
        FL(fl_mul)(ng, &q12, &t1, &t2);
    }

    /* 6. Baseflow. */
    FL(fl) qb_a, qb_b_s;
    const FL(fl) *qb_b = zero;
    switch (d->arch2) {
    case HS_FUSE_TENS2PLL_2:
        FL(fl_scale)(ng, &qb_a, free2a, P->qbrate_2a);
        FL(fl_scale)(ng, &qb_b_s, free2b, P->qbrate_2b);
        qb_b = &qb_b_s;
        break;
    case HS_FUSE_UNLIMFRC_2: FL(fl_scale)(ng, &qb_a, watr2, P->qb_prms); break;
    case HS_FUSE_UNLIMPOW_2:
        FL(fl_div_unit)(ng, &t1, watr2, P->maxwatr2, P->r_maxwatr2);
        FL(fl_pow)(ng, &t1, &t1, P->qb_powr, live);
        FL(fl_scale)(ng, &qb_a, &t1, P->qbsat);
        break;
    default:
        FL(fl_div_unit)(ng, &t1, watr2, P->maxwatr2, P->r_maxwatr2);
        FL(fl_min)(ng, &t1, &t1, fl_one);
        FL(fl_pow)(ng, &t1, &t1, P->qb_powr, live);
        FL(fl_scale)(ng, &qb_a, &t1, P->baserte);
        break;
    }

    /* 7. Overflow, logistic smoother. */
    FL(fl) rchr2excs_s, tens2free_1_s, oflow_1, tens2free_2_s, oflow_2a_s, oflow_2b_s, in1, in2;
    const FL(fl) *rchr2excs = zero, *tens2free_1 = zero, *tens2free_2 = zero, *oflow_2a = zero,
             *oflow_2b = zero;
    FL(fl_csub)(ng, &in1, peff, &qsx);
    if (d->arch1 == HS_FUSE_TENSION2_1) {
        FL(fl_logistic)(ng, &t1, tens1a, P->maxtens_1a, P->p_maxtens_1a, live);
        FL(fl_mul)(ng, &rchr2excs_s, &t1, &in1);
        FL(fl_logistic)(ng, &t1, tens1b, P->maxtens_1b, P->p_maxtens_1b, live);
        FL(fl_mul)(ng, &tens2free_1_s, &t1, &rchr2excs_s);
        FL(fl_logistic)(ng, &t1, free1, P->maxfree_1, P->p_maxfree_1, live);
        FL(fl_mul)(ng, &oflow_1, &t1, &tens2free_1_s);
        rchr2excs = &rchr2excs_s;
        tens2free_1 = &tens2free_1_s;
    } else if (d->arch1 == HS_FUSE_TENSION1_1) {
        FL(fl_logistic)(ng, &t1, tens1, P->maxtens_1, P->p_maxtens_1, live);
        FL(fl_mul)(ng, &tens2free_1_s, &t1, &in1);
        FL(fl_logistic)(ng, &t1, free1, P->maxfree_1, P->p_maxfree_1, live);
        FL(fl_mul)(ng, &oflow_1, &t1, &tens2free_1_s);
        tens2free_1 = &tens2free_1_s;
    } else {
        FL(fl_logistic)(ng, &t1, watr1, P->maxwatr1, P->p_maxwatr1, live);
        FL(fl_mul)(ng, &oflow_1, &t1, &in1);
    }
    FL(fl) q12low; /* fd_scale(q12, 1 - pf) */
    if (d->arch2 == HS_FUSE_TENS2PLL_2) {
        FUSE_LANES c1[l] = 1.0 - P->percfrac[l];
        FL(fl_scale)(ng, &q12low, &q12, c1);
        FL(fl_logistic)(ng, &t1, tens2, P->maxtens_2, P->p_maxtens_2, live);
        FL(fl_mul)(ng, &tens2free_2_s, &t1, &q12low);
        FL(fl_scale)(ng, &t1, &q12, P->percfrac);
        FL(fl_halve)(ng, &t1, &t1);
        FL(fl_halve)(ng, &t2, &tens2free_2_s);
        FL(fl_add)(ng, &in2, &t1, &t2);
        FL(fl_logistic)(ng, &t1, free2a, P->maxfree_2a, P->p_maxfree_2a, live);
        FL(fl_mul)(ng, &oflow_2a_s, &t1, &in2);
        FL(fl_logistic)(ng, &t1, free2b, P->maxfree_2b, P->p_maxfree_2b, live);
        FL(fl_mul)(ng, &oflow_2b_s, &t1, &in2);
        tens2free_2 = &tens2free_2_s;
        oflow_2a = &oflow_2a_s;
        oflow_2b = &oflow_2b_s;
    } else if (d->arch2 == HS_FUSE_FIXEDSIZ_2) {
        FL(fl_logistic)(ng, &t1, watr2, P->maxwatr2, P->p_maxwatr2, live);
        FL(fl_mul)(ng, &oflow_2a_s, &t1, &q12);
        oflow_2a = &oflow_2a_s;
    }

    FUSE_LANES {
        f->qsx[l] = qsx.v[l];
        f->e1a[l] = e1a.v[l];
        f->e1b[l] = e1b->v[l];
        f->e2[l] = e2->v[l];
        f->qif[l] = qif->v[l];
        f->q12[l] = q12.v[l];
        f->rchr2excs[l] = rchr2excs->v[l];
        f->tens2free_1[l] = tens2free_1->v[l];
        f->oflow_1[l] = oflow_1.v[l];
        f->tens2free_2[l] = tens2free_2->v[l];
        f->oflow_2a[l] = oflow_2a->v[l];
        f->oflow_2b[l] = oflow_2b->v[l];
        f->qb_a[l] = qb_a.v[l];
        f->qb_b[l] = qb_b->v[l];
    }
    /* Rows of the fluxes a structure lacks are 0 in every evaluation: written once by the
     * caller (fl_implicit), not here. */
#define FL_FD(j, name, ptr)                                                                        \
    if (fuse_flux_used(d, j) && fuse_newton_skips(sh))                                             \
        for (int k = 0; k < ng; k++) FUSE_LANES fd[k].name[l] = (ptr)->d[k][l]
    FL_FD(0, qsx, &qsx);
    FL_FD(1, e1a, &e1a);
    FL_FD(2, e1b, e1b);
    FL_FD(3, e2, e2);
    FL_FD(4, qif, qif);
    FL_FD(5, q12, &q12);
    FL_FD(6, rchr2excs, rchr2excs);
    FL_FD(7, tens2free_1, tens2free_1);
    FL_FD(8, oflow_1, &oflow_1);
    FL_FD(9, tens2free_2, tens2free_2);
    FL_FD(10, oflow_2a, oflow_2a);
    FL_FD(11, oflow_2b, oflow_2b);
    FL_FD(12, qb_a, &qb_a);
    FL_FD(13, qb_b, qb_b);
#undef FL_FD

    /* 8. State derivatives, only the active slots (the others are not read). */
    if (d->arch1 == HS_FUSE_TENSION2_1) {
        FL(fl_sub)(ng, &dx[0], &in1, &e1a);
        FL(fl_sub)(ng, &dx[0], &dx[0], rchr2excs);
        FL(fl_sub)(ng, &dx[1], rchr2excs, e1b);
        FL(fl_sub)(ng, &dx[1], &dx[1], tens2free_1);
        FL(fl_sub)(ng, &dx[2], tens2free_1, &q12);
        FL(fl_sub)(ng, &dx[2], &dx[2], qif);
        FL(fl_sub)(ng, &dx[2], &dx[2], &oflow_1);
    } else if (d->arch1 == HS_FUSE_TENSION1_1) {
        FL(fl_sub)(ng, &dx[0], &in1, &e1a);
        FL(fl_sub)(ng, &dx[0], &dx[0], tens2free_1);
        FL(fl_sub)(ng, &dx[1], tens2free_1, &q12);
        FL(fl_sub)(ng, &dx[1], &dx[1], qif);
        FL(fl_sub)(ng, &dx[1], &dx[1], &oflow_1);
    } else {
        FL(fl_sub)(ng, &dx[0], &in1, &e1a);
        FL(fl_sub)(ng, &dx[0], &dx[0], &q12);
        FL(fl_sub)(ng, &dx[0], &dx[0], qif);
        FL(fl_sub)(ng, &dx[0], &dx[0], &oflow_1);
    }
    if (d->arch2 == HS_FUSE_TENS2PLL_2) {
        FL(fl_sub)(ng, &dx[3], &q12low, e2);
        FL(fl_sub)(ng, &dx[3], &dx[3], tens2free_2);
        FL(fl_sub)(ng, &dx[4], &in2, &qb_a);
        FL(fl_sub)(ng, &dx[4], &dx[4], oflow_2a);
        FL(fl_sub)(ng, &dx[5], &in2, qb_b);
        FL(fl_sub)(ng, &dx[5], &dx[5], oflow_2b);
    } else {
        FL(fl_sub)(ng, &dx[3], &q12, e2);
        FL(fl_sub)(ng, &dx[3], &dx[3], &qb_a);
        FL(fl_sub)(ng, &dx[3], &dx[3], oflow_2a);
    }
}

/* fl_eval for the VIC parent (fuse_shape_vic) with the lane loops fused: the same operations,
 * lane for lane and in the same order, as fl_eval's sequence of fl_* calls (zero gradient rows
 * included, so that signed zeros agree), but in one loop over the lanes for everything before
 * the logistic smoothers, whose values then stay in registers: fl_eval's one loop per operation
 * stores and reloads every operand (perf: vector moves were ~25 % of the kernel's samples).
 * False, with nothing written, where a power's q = a^(e-1) would overflow in some lane
 * (fuse_pow_far, never met in practice): the caller then runs fl_eval. */
FUSE_INLINE bool FL(fl_eval_vic)(const FL(fl_par) *P, const double (*xin)[FL_W],
                                 const double *peff, const double *pet, const fl_mask *live,
                                 FL(fl_flux) *f, FL(fl_flux) *fd, FL(fl) *dx)
{
    _Alignas(64) double w1v[FL_W], w1d[FL_W], w2v[FL_W], w2d[FL_W];
    _Alignas(64) double in1v[FL_W], in1d0[FL_W], in1d1[FL_W];
    _Alignas(64) double q12v[FL_W], q12d0[FL_W], q12d1[FL_W];
    _Alignas(64) double qsxv[FL_W], qsxd0[FL_W], qsxd1[FL_W];
    _Alignas(64) double e1v[FL_W], e1d0[FL_W], e1d1[FL_W];
    _Alignas(64) double e2v[FL_W], e2d0[FL_W], e2d1[FL_W];
    _Alignas(64) double qbv[FL_W], qbd0[FL_W], qbd1[FL_W];
    fl_mask far = 0;
    FUSE_LANES_OR(far) {
        /* the states (rows: slot 0 -> 0, slot 3 -> 1), clipped, with their unit rows */
        const double c0 = P->cap[0][l], c3 = P->cap[3][l], xi0 = xin[0][l], xi3 = xin[3][l];
        const double w1 = fuse_clip(xi0, c0), w2 = fuse_clip(xi3, c3);
        const double i1 = ((xi0 >= 0.0) & (xi0 < c0)) ? 1.0 : 0.0;
        const double i2 = ((xi3 >= 0.0) & (xi3 < c3)) ? 1.0 : 0.0;
        w1v[l] = w1;
        w1d[l] = i1;
        w2v[l] = w2;
        w2d[l] = i2;
        /* tens1 = fl_min(watr1, maxtens_1), tens2 = fl_min(watr2, maxtens_2) */
        const double mt1 = P->maxtens_1[l], mt2 = P->maxtens_2[l];
        const double tn1v = w1 < mt1 ? w1 : mt1, tn1d0 = w1 < mt1 ? i1 : 0.0;
        const double tn1d1 = 0.0; /* w1 < mt1 ? 0.0 : 0.0 */
        const double tn2v = w2 < mt2 ? w2 : mt2, tn2d0 = 0.0, tn2d1 = w2 < mt2 ? i2 : 0.0;
        /* fl_div_unit(watr1), fl_min(., 1): the base of ARNO/VIC's and the percolation's power */
        const double rw1 = P->r_maxwatr1[l];
        double sv = w1 * rw1, sd0 = i1 * rw1, sd1 = 0.0 * rw1;
        {
            const bool lt = sv < 1.0;
            sd0 = lt ? sd0 : 0.0;
            sd1 = lt ? sd1 : 0.0;
            sv = lt ? sv : 1.0;
        }
        /* 1. ac = 1 - (1 - s)^bexp, qsx = ac peff. The three powers are written out: a helper
         * returning a per-lane struct stopped GCC vectorising this loop (59 -> 185 ns). */
        double av = 1.0 - sv, ad0 = 0.0 - sd0, ad1 = 0.0 - sd1;
        {
            const double e = P->bexp[l], y = fuse_pow_y(av, e);
            double pw, dp;
            fuse_pow_d(av, e, y, &pw, &dp);
            far |= (y > FUSE_POW_Q_MAX) & (av > 0.0);
            ad0 = ad0 * dp;
            ad1 = ad1 * dp;
            av = pw;
        }
        av = 1.0 - av;
        ad0 = 0.0 - ad0;
        ad1 = 0.0 - ad1;
        const double pk = peff[l];
        const double qv = av * pk, qd0 = ad0 * pk, qd1 = ad1 * pk;
        qsxv[l] = qv;
        qsxd0[l] = qd0;
        qsxd1[l] = qd1;
        /* 2. e1a = ratio(tens1, maxtens_1) pet rtfrac1 */
        {
            const bool cp = mt1 > 0.0;
            const double r = P->r_maxtens_1[l], pe = pet[l], rt = P->rtfrac1[l];
            const double tv = cp ? tn1v * r : 0.0, td0 = cp ? tn1d0 * r : 0.0;
            const double td1 = cp ? tn1d1 * r : 0.0;
            e1v[l] = (tv * pe) * rt;
            e1d0[l] = (td0 * pe) * rt;
            e1d1[l] = (td1 * pe) * rt;
        }
        /* 3. e2 = (pet rtfrac2) ratio(tens2, maxtens_2) */
        {
            const bool cp = mt2 > 0.0;
            const double r = P->r_maxtens_2[l], c1 = pet[l] * P->rtfrac2[l];
            const double tv = cp ? tn2v * r : 0.0, td0 = cp ? tn2d0 * r : 0.0;
            const double td1 = cp ? tn2d1 * r : 0.0;
            e2d0[l] = 0.0 * tv + c1 * td0;
            e2d1[l] = 0.0 * tv + c1 * td1;
            e2v[l] = c1 * tv;
        }
        /* 5. q12 = percrte s^percexp */
        {
            const double e = P->percexp[l], y = fuse_pow_y(sv, e);
            double pw, dp;
            fuse_pow_d(sv, e, y, &pw, &dp);
            far |= (y > FUSE_POW_Q_MAX) & (sv > 0.0);
            const double rt = P->percrte[l];
            q12d0[l] = (sd0 * dp) * rt;
            q12d1[l] = (sd1 * dp) * rt;
            q12v[l] = pw * rt;
        }
        /* 6. qb = baserte min(watr2 / maxwatr2, 1)^qb_powr */
        {
            const double rw2 = P->r_maxwatr2[l];
            double bv = w2 * rw2, bd0 = 0.0 * rw2, bd1 = i2 * rw2;
            const bool lt = bv < 1.0;
            bd0 = lt ? bd0 : 0.0;
            bd1 = lt ? bd1 : 0.0;
            bv = lt ? bv : 1.0;
            const double e = P->qb_powr[l], y = fuse_pow_y(bv, e);
            double pw, dp;
            fuse_pow_d(bv, e, y, &pw, &dp);
            far |= (y > FUSE_POW_Q_MAX) & (bv > 0.0);
            const double rt = P->baserte[l];
            qbd0[l] = (bd0 * dp) * rt;
            qbd1[l] = (bd1 * dp) * rt;
            qbv[l] = pw * rt;
        }
        /* 7. in1 = peff - qsx */
        in1d0[l] = 0.0 - qd0;
        in1d1[l] = 0.0 - qd1;
        in1v[l] = pk - qv;
    }
    if (far) return false;

    /* 7. The overflows: fl_logistic of watr1 and watr2 (fl_zero where no live lane is near its
     * capacity), times in1 and q12 (fl_mul). */
    _Alignas(64) double l1v[FL_W], l1d0[FL_W], l1d1[FL_W], l2v[FL_W], l2d0[FL_W], l2d1[FL_W];
    for (int which = 0; which < 2; which++) {
        const double *sv = which ? w2v : w1v, *sd = which ? w2d : w1d;
        const double *smax = which ? P->maxwatr2 : P->maxwatr1;
        const double *rpsi = which ? P->p_maxwatr2 : P->p_maxwatr1;
        double *lv = which ? l2v : l1v;
        double *ld_unit = which ? l2d1 : l1d0; /* the row of the state */
        double *ld_zero = which ? l2d0 : l1d1; /* the other row: 0 * dl or 0.0 */
        int near = 0;
        FUSE_LANES_OR(near) near |= live[l] & !(sv[l] < 0.449 * smax[l]);
        if (!near) {
            FUSE_LANES lv[l] = ld_unit[l] = ld_zero[l] = 0.0;
            continue;
        }
        FUSE_LANES {
            const double psi = FUSE_PSMOOTH * smax[l];
            const double z = -(sv[l] - smax[l] + 5.0 * psi) * rpsi[l];
            const bool zf = z > 50.0;
            const double v = hs_vm_exp(zf ? 0.0 : z);
            const double ez = zf ? 0.0 : v;
            const double lg = 1.0 / (1.0 + ez);
            const double dl = lg * (1.0 - lg) * rpsi[l];
            lv[l] = zf ? 0.0 : lg;
            ld_unit[l] = zf ? 0.0 : sd[l] * dl;
            ld_zero[l] = zf ? 0.0 : 0.0 * dl;
        }
    }
    FUSE_LANES {
        const double o1v = l1v[l] * in1v[l];
        const double o1d0 = l1d0[l] * in1v[l] + l1v[l] * in1d0[l];
        const double o1d1 = l1d1[l] * in1v[l] + l1v[l] * in1d1[l];
        const double o2v = l2v[l] * q12v[l];
        const double o2d0 = l2d0[l] * q12v[l] + l2v[l] * q12d0[l];
        const double o2d1 = l2d1[l] * q12v[l] + l2v[l] * q12d1[l];
        f->qsx[l] = qsxv[l];
        f->e1a[l] = e1v[l];
        f->e1b[l] = 0.0;
        f->e2[l] = e2v[l];
        f->qif[l] = 0.0;
        f->q12[l] = q12v[l];
        f->rchr2excs[l] = 0.0;
        f->tens2free_1[l] = 0.0;
        f->oflow_1[l] = o1v;
        f->tens2free_2[l] = 0.0;
        f->oflow_2a[l] = o2v;
        f->oflow_2b[l] = 0.0;
        f->qb_a[l] = qbv[l];
        f->qb_b[l] = 0.0;
        fd[0].qsx[l] = qsxd0[l];
        fd[1].qsx[l] = qsxd1[l];
        fd[0].e1a[l] = e1d0[l];
        fd[1].e1a[l] = e1d1[l];
        fd[0].e2[l] = e2d0[l];
        fd[1].e2[l] = e2d1[l];
        fd[0].q12[l] = q12d0[l];
        fd[1].q12[l] = q12d1[l];
        fd[0].oflow_1[l] = o1d0;
        fd[1].oflow_1[l] = o1d1;
        fd[0].oflow_2a[l] = o2d0;
        fd[1].oflow_2a[l] = o2d1;
        fd[0].qb_a[l] = qbd0[l];
        fd[1].qb_a[l] = qbd1[l];
        /* 8. dx0 = in1 - e1a - q12 (- qif: 0, x - 0.0 is x) - oflow_1; dx3 = q12 - e2 - qb - oflow_2a */
        dx[0].v[l] = ((in1v[l] - e1v[l]) - q12v[l]) - o1v;
        dx[0].d[0][l] = ((in1d0[l] - e1d0[l]) - q12d0[l]) - o1d0;
        dx[0].d[1][l] = ((in1d1[l] - e1d1[l]) - q12d1[l]) - o1d1;
        dx[3].v[l] = ((q12v[l] - e2v[l]) - qbv[l]) - o2v;
        dx[3].d[0][l] = ((q12d0[l] - e2d0[l]) - qbd0[l]) - o2d0;
        dx[3].d[1][l] = ((q12d1[l] - e2d1[l]) - qbd1[l]) - o2d1;
    }
    return true;
}

/* fl_eval out of line, for fl_eval_vic's rare fallback (one copy of the generic code in the
 * VIC kernel would cost instruction cache on every day). */
static __attribute__((noinline)) void FL(fl_eval_cold)(const FL(fl_par) *P, const fuse_shape *sh,
                                                       const double (*xin)[FL_W],
                                                       const double *peff, const double *pet,
                                                       const fl_mask *live, FL(fl_flux) *f,
                                                       FL(fl_flux) *fd, FL(fl) *dx)
{
    FL(fl_eval)(P, sh, xin, peff, pet, live, f, fd, dx);
}

/* fuse_newton_eval over lanes. */
FUSE_INLINE void FL(fl_newton_eval)(const FL(fl_par) *P, const fuse_shape *sh,
                                    const double (*x0)[FL_W], const double (*x)[FL_W],
                                    const double *peff, const double *pet, const fl_mask *live,
                                    double (*g)[FL_W], double (*jac)[FUSE_NSLOT][FL_W],
                                    double *norm, FL(fl_flux) *f, FL(fl_flux) *fd)
{
    FL(fl) dx[FUSE_NSLOT];
    if (sh == &fuse_shape_vic) {
        if (!FL(fl_eval_vic)(P, x, peff, pet, live, f, fd, dx))
            FL(fl_eval_cold)(P, sh, x, peff, pet, live, f, fd, dx);
    } else {
        FL(fl_eval)(P, sh, x, peff, pet, live, f, fd, dx);
    }
    const int n = sh->n;
    const double dt = 1.0;
    FUSE_LANES norm[l] = 0.0;
    for (int r = 0; r < n; r++) {
        const int s = sh->act[r];
        FUSE_LANES g[r][l] = x[s][l] - x0[s][l] - dt * dx[s].v[l];
        for (int c = 0; c < n; c++) {
            const int k = sh->gidx[sh->act[c]];
            FUSE_LANES jac[r][c][l] = (r == c ? 1.0 : 0.0) - dt * dx[s].d[k][l];
        }
        FUSE_LANES {
            const double e = fabs(g[r][l]) / (1.0 + fabs(x[s][l]));
            norm[l] = !(e <= norm[l]) ? e : norm[l];
        }
    }
}

/* f = ft in the lanes of acc. */
FUSE_INLINE void FL(fl_flux_select)(const hs_fuse_decisions *d, FL(fl_flux) *f,
                                    const FL(fl_flux) *ft, const fl_mask *acc)
{
    /* one flux at a time (a loop over them would not unroll: the switch stayed) */
#define FL_SEL(j, m) \
    if (fuse_flux_used(d, j)) FUSE_LANES f->m[l] = acc[l] ? ft->m[l] : f->m[l]
    FL_SEL(0, qsx);
    FL_SEL(1, e1a);
    FL_SEL(2, e1b);
    FL_SEL(3, e2);
    FL_SEL(4, qif);
    FL_SEL(5, q12);
    FL_SEL(6, rchr2excs);
    FL_SEL(7, tens2free_1);
    FL_SEL(8, oflow_1);
    FL_SEL(9, tens2free_2);
    FL_SEL(10, oflow_2a);
    FL_SEL(11, oflow_2b);
    FL_SEL(12, qb_a);
    FL_SEL(13, qb_b);
#undef FL_SEL
}

/* fuse_solve over lanes, pivoting per lane; ok[l] = 0 where the scalar solve returns false
 * (that lane's b is then garbage). */
FUSE_INLINE void FL(fl_solve)(int n, double (*a)[FUSE_NSLOT][FL_W], double (*b)[FL_W], fl_mask *ok)
{
    if (n == 2) {
        FUSE_LANES { /* fuse_solve's rule for two states (VIC, TOPMODEL) */
            const double a00 = a[0][0][l], a01 = a[0][1][l], a10 = a[1][0][l], a11 = a[1][1][l];
            const double b0 = b[0][l], b1 = b[1][l];
            const double rdet = 1.0 / (a00 * a11 - a01 * a10);
            b[0][l] = (b0 * a11 - a01 * b1) * rdet;
            b[1][l] = (a00 * b1 - a10 * b0) * rdet;
            ok[l] = fabs(rdet) <= DBL_MAX;
        }
        return;
    }
    FUSE_LANES ok[l] = 1;
    for (int c = 0; c < n; c++) {
        int piv[FL_W];
        FUSE_LANES {
            double best = fabs(a[c][c][l]);
            int pv = c;
            for (int r = c + 1; r < n; r++) {
                const bool gt = fabs(a[r][c][l]) > best;
                pv = gt ? r : pv;
                best = gt ? fabs(a[r][c][l]) : best;
            }
            piv[l] = pv;
            ok[l] = ok[l] && best > 0.0;
        }
        /* Rows are swapped only from column c on: the columns left of c are the eliminated
         * part, never read again. Usually no lane pivots (the diagonal of I - dt J dominates). */
        int any_swap = 0;
        FUSE_LANES_OR(any_swap) any_swap |= piv[l] != c;
        for (int r = c + 1; r < n && any_swap; r++) {
            for (int k = c; k < n; k++)
                FUSE_LANES {
                    const double t = a[c][k][l];
                    const bool sw = piv[l] == r;
                    a[c][k][l] = sw ? a[r][k][l] : t;
                    a[r][k][l] = sw ? t : a[r][k][l];
                }
            FUSE_LANES {
                const double t = b[c][l];
                const bool sw = piv[l] == r;
                b[c][l] = sw ? b[r][l] : t;
                b[r][l] = sw ? t : b[r][l];
            }
        }
        for (int r = c + 1; r < n; r++) {
            double mlt[FL_W];
            FUSE_LANES mlt[l] = a[r][c][l] / a[c][c][l];
            /* From c + 1: a[r][c] would become ~0 and is never read again. */
            for (int k = c + 1; k < n; k++) FUSE_LANES a[r][k][l] -= mlt[l] * a[c][k][l];
            FUSE_LANES b[r][l] -= mlt[l] * b[c][l];
        }
    }
    for (int c = n - 1; c >= 0; c--) {
        FUSE_LANES {
            double s = b[c][l];
            for (int k = c + 1; k < n; k++) s -= a[c][k][l] * b[k][l];
            b[c][l] = s / a[c][c][l];
        }
    }
}

/* fuse_implicit over lanes (see the section's comment); x0 the states at the start of the day,
 * f the fluxes at the end state of each lane. `real` marks the lanes worth computing. fd: room
 * for the flux gradient rows of the latest evaluation (fuse_newton's fd), the rows of the
 * fluxes the structure lacks zeroed by the caller (fl_eval never writes them). */
FUSE_INLINE void FL(fl_implicit)(const FL(fl_par) *P, const fuse_shape *sh,
                                 const double (*x0)[FL_W], const double (*xg)[FL_W],
                                 const double *peff, const double *pet, const fl_mask *real,
                                 FL(fl_flux) *f, FL(fl_flux) *fd, double *norm)
{
    _Alignas(64) double x[FUSE_NSLOT][FL_W], xt[FUSE_NSLOT][FL_W], g[FUSE_NSLOT][FL_W];
    _Alignas(64) double step[FUSE_NSLOT][FL_W], jac[FUSE_NSLOT][FUSE_NSLOT][FL_W];
    _Alignas(64) double tnorm[FL_W], lambda[FL_W];
    _Alignas(64) double norm_prev[FL_W];
    fl_mask it[FL_W], ls[FL_W], full[FL_W]; /* full: as in fuse_newton */
    fl_mask live[FL_W], solve[FL_W], ok[FL_W];
    FL(fl_flux) ft;
    const int n = sh->n;
    memcpy(x, x0, sizeof x);
    for (int r = 0; r < n; r++) {
        const int s = sh->act[r];
        FUSE_LANES x[s][l] = xg[s][l];
    }
    memcpy(xt, x, sizeof xt);
    FUSE_LANES {
        it[l] = ls[l] = full[l] = 0;
        norm_prev[l] = 0.0;
        lambda[l] = 1.0;
        live[l] = real[l];
    }
    /* One evaluation site (the guess, then the trials): the evaluation is most of this
     * function's code, and a second inlined copy made the kernel slower than the evaluations
     * it saved (instruction cache). g and jac always hold the last accepted evaluation of the
     * lanes that will solve next: a lane that rejects a trial no longer needs them (its step is
     * known). */
    for (bool guess = true;; guess = false) {
        FL(fl_newton_eval)(P, sh, x0, (const double (*)[FL_W])xt, peff, pet, live, g, jac, tnorm,
                           &ft, fd);
        fl_mask any = 0;
        if (guess) { /* taken as it is */
            memcpy(f, &ft, sizeof ft);
            FUSE_LANES_OR(any) {
                norm[l] = tnorm[l];
                live[l] = solve[l] = real[l] & (norm[l] > FUSE_NEWTON_TOL);
                any |= live[l];
            }
        } else {
            fl_mask acc[FL_W];
            FUSE_LANES {
                acc[l] = live[l] & (tnorm[l] < norm[l]);
                norm_prev[l] = acc[l] ? norm[l] : norm_prev[l];
                full[l] = acc[l] ? ls[l] == 0 : full[l];
                norm[l] = acc[l] ? tnorm[l] : norm[l];
            }
            for (int r = 0; r < n; r++) {
                const int s = sh->act[r];
                FUSE_LANES x[s][l] = acc[l] ? xt[s][l] : x[s][l];
            }
            FL(fl_flux_select)(&sh->d, f, &ft, acc);
            /* accepted: another step unless converged or out of iterations; rejected: half the
             * step length, up to 12 trials (then stalled: the caller rescues it, fuse_rescue) */
            fl_mask need = 0;
            FUSE_LANES_OR(need) {
                const fl_mask lv = live[l], a = acc[l], itn = it[l] + 1, lsn = ls[l] + 1;
                const fl_mask more = (itn < FUSE_NEWTON_MAXIT) & (norm[l] > FUSE_NEWTON_TOL);
                it[l] = lv & a ? itn : it[l];
                ls[l] = lv & !a ? lsn : ls[l];
                lambda[l] = lv & !a & (lsn < 12) ? 0.5 * lambda[l] : lambda[l];
                solve[l] = lv & a & more;
                live[l] = lv & (a ? more : lsn < 12);
                need |= solve[l];
            }
            FUSE_LANES_OR(any) any |= live[l];
            if (any && !need) goto next_trial; /* trials until some lane needs a new step */
        }
        if (!any) break;
        {
            /* A Newton step in the lanes that need one. */
            _Alignas(64) double bs[FUSE_NSLOT][FL_W];
            for (int r = 0; r < n; r++) FUSE_LANES bs[r][l] = -g[r][l];
            FL(fl_solve)(n, jac, bs, ok);
            for (int r = 0; r < n; r++) FUSE_LANES step[r][l] = solve[l] ? bs[r][l] : step[r][l];
            FUSE_LANES {
                lambda[l] = solve[l] ? 1.0 : lambda[l];
                ls[l] = solve[l] ? 0 : ls[l];
                live[l] = solve[l] & !ok[l] ? 0 : live[l]; /* singular: stop with the current x */
            }
            /* fuse_newton's last step without evaluation, in the lanes that solved (their
             * latest evaluation is their accepted one: fd holds it). */
            if (fuse_newton_skips(sh)) { /* a constant of the shape: no code at all otherwise */
                fl_mask skip[FL_W], any_skip = 0;
                FUSE_LANES skip[l] = solve[l] & live[l] & full[l] &
                                     (norm[l] <= FUSE_NEWTON_SKIP_FROM);
                for (int r = 0; r < n; r++) { /* fuse_same_regime */
                    const int s = sh->act[r];
                    const double *c = P->cap[s];
                    FUSE_LANES {
                        const double xs = x[s][l], xn = xs + step[r][l];
                        skip[l] &= ((xs >= 0.0) == (xn >= 0.0)) & ((xs < c[l]) == (xn < c[l]));
                    }
                }
                FUSE_LANES_OR(any_skip) {
                    const double pred = fuse_newton_predict(norm[l], norm_prev[l]);
                    skip[l] &= pred <= FUSE_NEWTON_SKIP;
                    norm[l] = skip[l] ? pred : norm[l];
                    any_skip |= skip[l];
                }
                if (any_skip) {
                    for (int r = 0; r < n; r++) {
                        const int s = sh->act[r];
                        const FL(fl_flux) *dv = &fd[sh->gidx[s]];
                        const double *st = step[r];
                        /* fuse_flux_extrapolate; the fluxes the structure lacks stay 0
                         * (there: 0 + 0 step) */
#define FL_EXT(j, m)                                                                               \
    if (fuse_flux_used(&sh->d, j))                                                                 \
    FUSE_LANES f->m[l] = skip[l] ? f->m[l] + dv->m[l] * st[l] : f->m[l]
                        FL_EXT(0, qsx);
                        FL_EXT(1, e1a);
                        FL_EXT(2, e1b);
                        FL_EXT(3, e2);
                        FL_EXT(4, qif);
                        FL_EXT(5, q12);
                        FL_EXT(6, rchr2excs);
                        FL_EXT(7, tens2free_1);
                        FL_EXT(8, oflow_1);
                        FL_EXT(9, tens2free_2);
                        FL_EXT(10, oflow_2a);
                        FL_EXT(11, oflow_2b);
                        FL_EXT(12, qb_a);
                        FL_EXT(13, qb_b);
#undef FL_EXT
                        FUSE_LANES x[s][l] = skip[l] ? x[s][l] + 1.0 * st[l] : x[s][l];
                    }
                    FUSE_LANES live[l] = skip[l] ? 0 : live[l];
                }
            }
            any = 0;
            FUSE_LANES_OR(any) any |= live[l];
            if (!any) break;
        }
    next_trial:
        /* only the active slots: fl_eval reads no other (the structure lacks them) */
        for (int r = 0; r < n; r++) {
            const int s = sh->act[r];
            FUSE_LANES xt[s][l] = x[s][l] + lambda[l] * step[r][l];
        }
    }
}

/* fuse_store over lanes: x = x0 + (in - outs) with the outfluxes fixed as fuse_store fixes
 * them; a lane whose store would fall below 0 takes fuse_store's branch lane by lane (rare; it
 * calls fmax as fuse_store does). dt is 1 day. */
FUSE_INLINE void FL(fl_store)(double *x, const double *x0, const double *cap, const double *inp,
                              double *const *out, int n_out, double *spill, const fl_mask *real)
{
    const double dt = 1.0;
    _Alignas(64) double in[FL_W], sum[FL_W], sn[FL_W];
    FUSE_LANES {
        in[l] = inp[l];
        double so = 0.0;
        for (int k = 0; k < n_out; k++) so += out[k][l];
        sum[l] = so;
        sn[l] = x0[l] + dt * (in[l] - so);
    }
    int any_neg = 0;
    FUSE_LANES_OR(any_neg) any_neg |= real[l] & (sn[l] < 0.0);
    if (spill) {
        FUSE_LANES {
            const bool over = !(sn[l] < 0.0) & (sn[l] > cap[l]);
            const double ex = (sn[l] - cap[l]) / dt;
            spill[l] = over ? spill[l] + ex : spill[l];
            sn[l] = over ? x0[l] + dt * (in[l] - sum[l] - ex) : sn[l];
        }
    }
    for (int l = 0; l < FL_W && any_neg; l++) {
        if (!real[l] || !(sn[l] < 0.0)) continue;
        const double avail = x0[l] / dt + in[l];
        const double scale = sum[l] > 0.0 ? fmax(0.0, avail) / sum[l] : 0.0;
        for (int k = 0; k < n_out; k++) out[k][l] *= scale;
        double so = 0.0;
        for (int k = 0; k < n_out; k++) so += out[k][l];
        sn[l] = x0[l] + dt * (in[l] - so);
    }
    FUSE_LANES x[l] = sn[l];
}

/* fuse_update over lanes: the states x from x (start of the day) and the fluxes F, fixed. */
FUSE_INLINE void FL(fl_update)(const FL(fl_par) *P, const fuse_shape *sh, double (*x)[FL_W],
                               const double *peff, FL(fl_flux) *F, const fl_mask *real)
{
    const hs_fuse_decisions *d = &sh->d;
    _Alignas(64) double in[FL_W];
    FUSE_LANES in[l] = peff[l] - F->qsx[l];
    if (d->arch1 == HS_FUSE_TENSION2_1) {
        double *const o0[] = {F->e1a, F->rchr2excs};
        FL(fl_store)(x[0], x[0], P->cap[0], in, o0, 2, F->rchr2excs, real);
        double *const o1[] = {F->e1b, F->tens2free_1};
        FL(fl_store)(x[1], x[1], P->cap[1], F->rchr2excs, o1, 2, F->tens2free_1, real);
        double *const o2[] = {F->q12, F->qif, F->oflow_1};
        FL(fl_store)(x[2], x[2], P->cap[2], F->tens2free_1, o2, 3, F->oflow_1, real);
    } else if (d->arch1 == HS_FUSE_TENSION1_1) {
        double *const o0[] = {F->e1a, F->tens2free_1};
        FL(fl_store)(x[0], x[0], P->cap[0], in, o0, 2, F->tens2free_1, real);
        double *const o1[] = {F->q12, F->qif, F->oflow_1};
        FL(fl_store)(x[1], x[1], P->cap[1], F->tens2free_1, o1, 3, F->oflow_1, real);
        FUSE_LANES x[2][l] = 0.0;
    } else {
        double *const o0[] = {F->e1a, F->q12, F->qif, F->oflow_1};
        FL(fl_store)(x[0], x[0], P->cap[0], in, o0, 4, F->oflow_1, real);
        FUSE_LANES x[1][l] = x[2][l] = 0.0;
    }
    if (d->arch2 == HS_FUSE_TENS2PLL_2) {
        FUSE_LANES in[l] = F->q12[l] * (1.0 - P->percfrac[l]);
        double *const o3[] = {F->e2, F->tens2free_2};
        FL(fl_store)(x[3], x[3], P->cap[3], in, o3, 2, F->tens2free_2, real);
        FUSE_LANES in[l] = F->q12[l] * P->percfrac[l] / 2.0 + F->tens2free_2[l] / 2.0;
        double *const o4[] = {F->qb_a, F->oflow_2a};
        FL(fl_store)(x[4], x[4], P->cap[4], in, o4, 2, F->oflow_2a, real);
        double *const o5[] = {F->qb_b, F->oflow_2b};
        FL(fl_store)(x[5], x[5], P->cap[5], in, o5, 2, F->oflow_2b, real);
    } else {
        double *const o3[] = {F->e2, F->qb_a, F->oflow_2a};
        const bool bounded = d->arch2 == HS_FUSE_FIXEDSIZ_2;
        FL(fl_store)(x[3], x[3], P->cap[3], F->q12, o3, 3, bounded ? F->oflow_2a : NULL, real);
        FUSE_LANES x[4][l] = x[5][l] = 0.0;
    }
}

/* fuse_sens_update over lanes (the same operations). */
FUSE_INLINE void FL(fl_sens_update)(const hs_fuse_decisions *d, const FL(fl_flux) *F,
                                    const double *peff, const double *pet,
                                    double (*sens)[FL_W])
{
    _Alignas(64) double p[3][FL_W];
    if (d->arch1 == HS_FUSE_TENSION2_1) {
        FUSE_LANES {
            p[0][l] = (peff[l] - F->qsx[l]) - F->rchr2excs[l];
            p[1][l] = F->rchr2excs[l] - F->tens2free_1[l];
            p[2][l] = F->tens2free_1[l] - F->oflow_1[l];
        }
    } else if (d->arch1 == HS_FUSE_TENSION1_1) {
        FUSE_LANES {
            p[0][l] = (peff[l] - F->qsx[l]) - F->tens2free_1[l];
            p[1][l] = F->tens2free_1[l] - F->oflow_1[l];
        }
    } else {
        FUSE_LANES p[0][l] = (peff[l] - F->qsx[l]) - F->oflow_1[l];
    }
    /* rows that stay +0 (slots without such a flux: the scalar code's 0 * r) are not written */
    const int np = d->arch1 == HS_FUSE_TENSION2_1 ? 3 : d->arch1 == HS_FUSE_TENSION1_1 ? 2 : 1;
    _Alignas(64) double rp[FL_W], re[FL_W];
    FUSE_LANES {
        rp[l] = 1.0 / peff[l];
        re[l] = 1.0 / pet[l];
    }
    for (int s = 0; s < np; s++) {
        double *sp = sens[FUSE_SENS_P + s];
        const double *ps = p[s];
        FUSE_LANES sp[l] = peff[l] > 0.0 ? ps[l] * rp[l] : sp[l];
    }
    /* e = (-e1a, -e1b, 0, -e2, 0, 0); -e1b only with two upper tension stores */
    const bool two = d->arch1 == HS_FUSE_TENSION2_1;
    double *const e0 = sens[FUSE_SENS_E], *const e1 = sens[FUSE_SENS_E + 1];
    double *const e3 = sens[FUSE_SENS_E + 3];
    FUSE_LANES {
        const bool has = pet[l] > 0.0;
        e0[l] = has ? -F->e1a[l] * re[l] : e0[l];
        e3[l] = has ? -F->e2[l] * re[l] : e3[l];
        sens[FUSE_SENS_PEFF][l] = peff[l];
        sens[FUSE_SENS_PET][l] = pet[l];
    }
    if (two) FUSE_LANES e1[l] = pet[l] > 0.0 ? -F->e1b[l] * re[l] : e1[l];
}

/* The state slots, snow bands and parameters of the HRUs hru[0..W) (lanes at and beyond n_real
 * repeat hru[0] and are not computed). */
typedef struct FL(fl_group) {
    FL(fl_par) P;
    fuse_hru hru_consts[FL_W]; /* for fuse_rescue */
    _Alignas(64) double x[FUSE_NSLOT][FL_W];
    _Alignas(64) double trend[FUSE_NSLOT][FL_W]; /* m->trend */
    _Alignas(64) double sens[FUSE_NSENS][FL_W];  /* m->sens */
    double swe[HS_FUSE_MAX_BANDS][FL_W];
    double ring[HS_FUSE_ROUTING_CAP][FL_W];
    fl_mask has_w[HS_FUSE_ROUTING_CAP][FL_W];
    fl_mask real[FL_W];
} FL(fl_group);

/* fuse_implicit's rescue for lane l of a group whose Newton failed (rare): the scalar
 * fuse_rescue on the lane's constants, its fluxes written back into the lane. */
static __attribute__((noinline)) int FL(fl_rescue_lane)(const FL(fl_group) *G, const fuse_shape *sh,
                                                        FL(fl_flux) *F, int l, const double *peff,
                                                        const double *pet, double failed_norm)
{
    /* fuse_flux and fl_flux list the same fluxes in the same order: a scalar, an array of lanes */
    enum { N_FLUX = (int)(sizeof(fuse_flux) / sizeof(double)) };
    _Static_assert(sizeof(fuse_flux) == N_FLUX * sizeof(double), "fuse_flux: doubles only");
    _Static_assert(sizeof(FL(fl_flux)) == N_FLUX * FL_W * sizeof(double), "fl_flux: lane arrays");
    double x0[FUSE_NSLOT], fv[N_FLUX];
    double(*lanes)[FL_W] = (double(*)[FL_W])(void *)F;
    for (int s = 0; s < FUSE_NSLOT; s++) x0[s] = G->x[s][l];
    for (int k = 0; k < N_FLUX; k++) fv[k] = lanes[k][l];
    fuse_flux f;
    memcpy(&f, fv, sizeof f);
    const int day = fuse_rescue(&G->hru_consts[l], sh, x0, 1.0, peff[l], pet[l], failed_norm, &f);
    memcpy(fv, &f, sizeof f);
    for (int k = 0; k < N_FLUX; k++) lanes[k][l] = fv[k];
    return day;
}

/* fuse_run_hru for the lanes of a group (the implicit numerics only). */
FUSE_INLINE void FL(fl_run_group)(hs_model_impl *m, const fuse_shape *sh, const size_t *hru,
                                  size_t n_real, const hs_forcing_view *fv, const hs_flux_view *out)
{
    const size_t n = m->n_hru, nt = fv->n_time;
    const fuse_options *o = &m->opt;
    FL(fl_group) G;
    size_t n_solver_days[2][FL_W] = {{0}};
    FL(fl_par) *P = &G.P;
    for (int l = 0; l < FL_W; l++) {
        const size_t i = hru[l];
        fuse_hru *h = &G.hru_consts[l];
        fuse_hru_setup(m, i, h);
        const double *p = h->p;
        const hs_fuse_derived *r = &h->r;
        G.real[l] = (size_t)l < n_real;
        for (int s = 0; s < FUSE_NSLOT; s++) {
            P->cap[s][l] = h->cap[s];
            G.x[s][l] = m->state[(size_t)s * n + i];
            G.trend[s][l] = m->trend[(size_t)s * n + i];
        }
        for (int k = 0; k < FUSE_NSENS; k++) G.sens[k][l] = m->sens[(size_t)k * n + i];
        for (size_t b = 0; b < o->n_band; b++) G.swe[b][l] = m->swe[b * n + i];
        P->maxwatr1[l] = p[HS_FUSE_MAXWATR_1];
        P->maxwatr2[l] = p[HS_FUSE_MAXWATR_2];
        P->maxtens_1[l] = r->maxtens_1;
        P->maxtens_1a[l] = r->maxtens_1a;
        P->maxtens_1b[l] = r->maxtens_1b;
        P->maxfree_1[l] = r->maxfree_1;
        P->maxtens_2[l] = r->maxtens_2;
        P->maxfree_2a[l] = r->maxfree_2a;
        P->maxfree_2b[l] = r->maxfree_2b;
        P->rtfrac1[l] = p[HS_FUSE_RTFRAC1];
        P->rtfrac2[l] = r->rtfrac2;
        P->sareamax[l] = p[HS_FUSE_SAREAMAX];
        P->bexp[l] = p[HS_FUSE_AXV_BEXP];
        P->iflwrte[l] = p[HS_FUSE_IFLWRTE];
        P->percrte[l] = p[HS_FUSE_PERCRTE];
        P->percexp[l] = p[HS_FUSE_PERCEXP];
        P->sacpmlt[l] = p[HS_FUSE_SACPMLT];
        P->sacpexp[l] = p[HS_FUSE_SACPEXP];
        P->qbsat[l] = r->qbsat;
        P->percfrac[l] = p[HS_FUSE_PERCFRAC];
        P->qbrate_2a[l] = p[HS_FUSE_QBRATE_2A];
        P->qbrate_2b[l] = p[HS_FUSE_QBRATE_2B];
        P->qb_prms[l] = p[HS_FUSE_QB_PRMS];
        P->baserte[l] = p[HS_FUSE_BASERTE];
        P->qb_powr[l] = p[HS_FUSE_QB_POWR];
        P->powlamb[l] = r->powlamb;
        P->maxpow[l] = r->maxpow;
        P->chi[l] = r->chi;
        P->tishape[l] = p[HS_FUSE_TISHAPE];
        P->lga[l] = h->lga_tishape;
    }
    FUSE_LANES {
        P->r_maxwatr1[l] = 1.0 / P->maxwatr1[l];
        P->r_maxwatr2[l] = 1.0 / P->maxwatr2[l];
        P->r_maxtens_1[l] = 1.0 / P->maxtens_1[l];
        P->r_maxtens_1a[l] = 1.0 / P->maxtens_1a[l];
        P->r_maxtens_1b[l] = 1.0 / P->maxtens_1b[l];
        P->r_maxtens_2[l] = 1.0 / P->maxtens_2[l];
        P->r_maxfree_1[l] = 1.0 / P->maxfree_1[l];
        P->p_maxwatr1[l] = 1.0 / (FUSE_PSMOOTH * P->maxwatr1[l]);
        P->p_maxwatr2[l] = 1.0 / (FUSE_PSMOOTH * P->maxwatr2[l]);
        P->p_maxtens_1[l] = 1.0 / (FUSE_PSMOOTH * P->maxtens_1[l]);
        P->p_maxtens_1a[l] = 1.0 / (FUSE_PSMOOTH * P->maxtens_1a[l]);
        P->p_maxtens_1b[l] = 1.0 / (FUSE_PSMOOTH * P->maxtens_1b[l]);
        P->p_maxtens_2[l] = 1.0 / (FUSE_PSMOOTH * P->maxtens_2[l]);
        P->p_maxfree_1[l] = 1.0 / (FUSE_PSMOOTH * P->maxfree_1[l]);
        P->p_maxfree_2a[l] = 1.0 / (FUSE_PSMOOTH * P->maxfree_2a[l]);
        P->p_maxfree_2b[l] = 1.0 / (FUSE_PSMOOTH * P->maxfree_2b[l]);
    }
    const bool snow = o->dec.snowm == HS_FUSE_TEMP_INDEX;
    const bool additive = o->dec.rferr == HS_FUSE_ADDITIVE_E;
    _Alignas(64) double mfmax[FL_W], mfmin[FL_W], mbase[FL_W], pxtemp[FL_W];
    _Alignas(64) double opg[FL_W], lapse[FL_W], rf_add[FL_W], rf_mlt[FL_W];
    for (int l = 0; l < FL_W; l++) {
        const double *p = m->par + hru[l] * HS_FUSE_NPAR;
        mfmax[l] = p[HS_FUSE_MFMAX];
        mfmin[l] = p[HS_FUSE_MFMIN];
        mbase[l] = p[HS_FUSE_MBASE];
        pxtemp[l] = p[HS_FUSE_PXTEMP];
        opg[l] = p[HS_FUSE_OPG];
        lapse[l] = p[HS_FUSE_LAPSE];
        rf_add[l] = p[HS_FUSE_RFERR_ADD];
        rf_mlt[l] = p[HS_FUSE_RFERR_MLT];
    }
    /* The routing rings, lane-major and rotated so that every lane's head is slot 0 at the
     * start (heads may differ between HRUs): one vector per day instead of one ring each. */
    size_t nw_max = 0;
    _Alignas(64) double wl[HS_FUSE_ROUTING_CAP][FL_W];
    for (int l = 0; l < FL_W; l++) {
        const size_t i = hru[l], nw = m->n_weights[i], hd = m->head[i];
        const double *ring = m->ring + i * HS_FUSE_ROUTING_CAP;
        const double *w = m->weights + i * HS_FUSE_ROUTING_CAP;
        for (size_t k = 0; k < HS_FUSE_ROUTING_CAP; k++) {
            G.ring[k][l] = ring[(hd + k) & FUSE_RING_MASK];
            wl[k][l] = k < nw ? w[k] : 0.0;
            G.has_w[k][l] = k < nw;
        }
        if (G.real[l] && nw > nw_max) nw_max = nw;
    }
    size_t head = 0;

    /* Per band and lane, the day-independent parts of the snow equations, computed by the
     * same operations as fuse_run_hru computes them each day. */
    _Alignas(64) double tb_off[HS_FUSE_MAX_BANDS][FL_W], pfac[HS_FUSE_MAX_BANDS][FL_W];
    _Alignas(64) double mfd[FL_W];
    for (size_t b = 0; b < o->n_band; b++) {
        const double dz = o->band_dz[b];
        FUSE_LANES {
            tb_off[b][l] = dz * lapse[l] / 1000.0;
            pfac[b][l] = dz > 0.0 ? 1.0 + dz * opg[l] / 1000.0 : 1.0 - dz * opg[l] / 1000.0;
        }
    }
    FUSE_LANES mfd[l] = mfmax[l] - mfmin[l];

    int year, month, day;
    hs_day_to_ymd(fv->first_day, &year, &month, &day);
    int doy = hs_day_of_year(fv->first_day);

    /* Days in blocks: the forcing of a block is read at once and the outputs written at once
     * (the rows of the time-major arrays are far apart: the reads of a block overlap). */
    enum { TB = 16 };
    FL(fl_flux) fd[FUSE_NSLOT]; /* fl_implicit's */
    _Alignas(64) double prec_b[TB][FL_W], temp_b[TB][FL_W], pet_b[TB][FL_W];
    _Alignas(64) double q_b[TB][FL_W], aet_b[TB][FL_W], in_b[TB][FL_W];
    /* A full group of consecutive HRUs (the usual case) reads and writes its rows as vectors;
     * otherwise lane by lane (a gather: its loads were ~6 % of the VIC kernel, perf). */
    bool contiguous = n_real == FL_W;
    for (int l = 1; l < FL_W; l++) contiguous = contiguous && hru[l] == hru[0] + (size_t)l;
    const size_t h0 = hru[0];
    for (size_t t0 = 0; t0 < nt; t0 += TB) {
        const size_t nb = nt - t0 < TB ? nt - t0 : TB;
        for (size_t j = 0; j < nb; j++) {
            const size_t idx = (t0 + j) * n;
            if (contiguous) {
                FUSE_LANES {
                    prec_b[j][l] = fv->precip_mm[idx + h0 + l];
                    temp_b[j][l] = fv->temp_c[idx + h0 + l];
                    pet_b[j][l] = fv->pet_mm[idx + h0 + l];
                }
                continue;
            }
            for (int l = 0; l < FL_W; l++) {
                prec_b[j][l] = fv->precip_mm[idx + hru[l]];
                temp_b[j][l] = fv->temp_c[idx + hru[l]];
                pet_b[j][l] = fv->pet_mm[idx + hru[l]];
            }
        }
        for (size_t j = 0; j < nb; j++) {
            const double *prec = prec_b[j], *temp = temp_b[j], *pet = pet_b[j];
            /* this day's rows of the next block, 16 days (~16 us) ahead, one day at a time: the
             * rows are n doubles apart, a new page each, beyond the hardware prefetchers'
             * reach (the loads were ~5 % of the VIC kernel's samples, perf; issued all at the
             * block's start the prefetches themselves stalled) */
            if (contiguous && t0 + TB + j < nt) {
                const size_t ahead = (t0 + TB + j) * n + h0;
                hs_prefetch_row(fv->precip_mm + ahead, FL_W, false);
                hs_prefetch_row(fv->temp_c + ahead, FL_W, false);
                hs_prefetch_row(fv->pet_mm + ahead, FL_W, false);
                /* and today's output row, written with the block's at its end */
                hs_prefetch_row(out->runoff_mm + (t0 + j) * n + h0, FL_W, true);
                if (out->aet_mm) hs_prefetch_row(out->aet_mm + (t0 + j) * n + h0, FL_W, true);
                if (out->input_mm)
                    hs_prefetch_row(out->input_mm + (t0 + j) * n + h0, FL_W, true);
            }
            _Alignas(64) double peff[FL_W];
            double *input = in_b[j];

            /* Snow per band, explicit, once per day (§3.4); fuse_run_hru's operations. */
            if (snow) {
                const bool leap = year % 4 == 0;
                const double season = m->season[leap][doy];
                _Alignas(64) double mf[FL_W], pc[FL_W];
                FUSE_LANES {
                    mf[l] = (0.5 * season + 0.5) * mfd[l] + mfmin[l];
                    peff[l] = input[l] = 0.0;
                }
                for (size_t b = 0; b < o->n_band; b++) {
                    const double dz = o->band_dz[b], af = o->band_af[b];
                    const double *pf = pfac[b], *tbo = tb_off[b];
                    /* pb as fuse_run_hru: prec * pf above the forcing, prec / pf below it; at
                     * dz = 0, pf = 1 - 0 = 1 exactly and prec / 1 is prec (the division, in
                     * every lane of the select, cost ~1 % of the kernel for the usual one band) */
                    _Alignas(64) double pb[FL_W];
                    if (dz > 0.0)
                        FUSE_LANES pb[l] = prec[l] * pf[l];
                    else if (dz == 0.0)
                        FUSE_LANES pb[l] = prec[l];
                    else
                        FUSE_LANES pb[l] = prec[l] / pf[l];
                    if (additive)
                        FUSE_LANES pc[l] = fuse_pos0(pb[l] + rf_add[l]);
                    else
                        FUSE_LANES pc[l] = pb[l] * rf_mlt[l];
                    double *swe = G.swe[b];
                    FUSE_LANES {
                        const double tb = temp[l] + tbo[l];
                        double melt = (swe[l] > 0.0 && tb > mbase[l]) ? mf[l] * (tb - mbase[l]) : 0.0;
                        const bool rain = tb >= pxtemp[l];
                        const double acc = rain ? 0.0 : pc[l];
                        double s = swe[l] + (acc - melt);
                        const bool empty = s < 0.0;
                        melt = empty ? swe[l] + acc : melt;
                        s = empty ? 0.0 : s;
                        swe[l] = s;
                        peff[l] += af * (rain ? pc[l] + melt : melt);
                        input[l] += af * pc[l];
                    }
                }
            } else {
                FUSE_LANES {
                    peff[l] = additive ? fuse_pos0(prec[l] + rf_add[l]) : prec[l] * rf_mlt[l];
                    input[l] = peff[l];
                }
            }

            /* Soil over the day (§3.7), then FIX_STATES per lane (fuse_update). */
            FL(fl_flux) F;
            if (t0 == 0 && j == 0) memset(fd, 0, (size_t)sh->ng * sizeof fd[0]);
            _Alignas(64) double norm[FL_W];
            _Alignas(64) double x0[FUSE_NSLOT][FL_W], xg[FUSE_NSLOT][FL_W];
            _Alignas(64) double dpeff[FL_W], dpet[FL_W];
            FUSE_LANES {
                dpeff[l] = peff[l] - G.sens[FUSE_SENS_PEFF][l];
                dpet[l] = pet[l] - G.sens[FUSE_SENS_PET][l];
            }
            for (int r = 0; r < sh->n; r++) {
                const int s = sh->act[r];
                const double *sp = G.sens[FUSE_SENS_P + s], *se = G.sens[FUSE_SENS_E + s];
                const double *c = P->cap[s];
                FUSE_LANES {
                    x0[s][l] = G.x[s][l];
                    /* fuse_run_hru's guess */
                    xg[s][l] = fuse_guess(G.x[s][l], G.trend[s][l], sp[l], se[l], dpeff[l], dpet[l],
                                          c[l]);
                }
            }
            FL(fl_implicit)(P, sh, (const double (*)[FL_W])G.x, (const double (*)[FL_W])xg,
                            peff, pet, G.real, &F, fd, norm);
            for (int l = 0; l < FL_W; l++)
                if (G.real[l] && !(norm[l] <= FUSE_NEWTON_TOL))
                    n_solver_days[FL(fl_rescue_lane)(&G, sh, &F, l, peff, pet, norm[l]) - 1][l]++;
            _Alignas(64) double qinst[FL_W];
            double *aet = aet_b[j];
            FL(fl_update)(P, sh, G.x, peff, &F, G.real);
            for (int r = 0; r < sh->n; r++) {
                const int s = sh->act[r];
                FUSE_LANES G.trend[s][l] = G.x[s][l] - x0[s][l];
            }
            FL(fl_sens_update)(&sh->d, &F, peff, pet, G.sens);
            FUSE_LANES {
                qinst[l] = F.qsx[l] + F.oflow_1[l] + F.qif[l] + F.oflow_2a[l] + F.oflow_2b[l] +
                           F.qb_a[l] + F.qb_b[l]; /* fuse_qinst */
                aet[l] = F.e1a[l] + F.e1b[l] + F.e2[l]; /* fuse_aet */
            }

            /* Gamma time delay (§3.5) as a ring of future runoff; a lane adds only its own nw
             * fractions, as fuse_run_hru. */
            for (size_t k = 0; k < nw_max; k++) {
                double *rk = G.ring[(head + k) & FUSE_RING_MASK];
                const double *wk = wl[k];
                const fl_mask *hk = G.has_w[k];
                FUSE_LANES rk[l] = hk[l] ? rk[l] + qinst[l] * wk[l] : rk[l];
            }
            double *routed = G.ring[head];
            FUSE_LANES {
                q_b[j][l] = routed[l];
                routed[l] = 0.0;
            }
            head = (head + 1) & FUSE_RING_MASK;

            if (++doy > (hs_is_leap_year(year) ? 366 : 365)) {
                doy = 1;
                year++;
            }
        }
        for (size_t j = 0; j < nb; j++) {
            const size_t idx = (t0 + j) * n;
            if (contiguous) {
                FUSE_LANES out->runoff_mm[idx + h0 + l] = q_b[j][l];
                if (out->aet_mm) FUSE_LANES out->aet_mm[idx + h0 + l] = aet_b[j][l];
                if (out->input_mm) FUSE_LANES out->input_mm[idx + h0 + l] = in_b[j][l];
                continue;
            }
            for (size_t l = 0; l < n_real; l++) {
                const size_t i = hru[l];
                out->runoff_mm[idx + i] = q_b[j][l];
                if (out->aet_mm) out->aet_mm[idx + i] = aet_b[j][l];
                if (out->input_mm) out->input_mm[idx + i] = in_b[j][l];
            }
        }
    }
    for (size_t l = 0; l < n_real; l++) {
        const size_t i = hru[l];
        for (int s = 0; s < FUSE_NSLOT; s++) {
            m->state[(size_t)s * n + i] = G.x[s][l];
            m->trend[(size_t)s * n + i] = G.trend[s][l];
        }
        for (int k = 0; k < FUSE_NSENS; k++) m->sens[(size_t)k * n + i] = G.sens[k][l];
        for (size_t b = 0; b < o->n_band; b++) m->swe[b * n + i] = G.swe[b][l];
        const size_t hd = m->head[i];
        double *ring = m->ring + i * HS_FUSE_ROUTING_CAP;
        for (size_t k = 0; k < HS_FUSE_ROUTING_CAP; k++)
            ring[(hd + k) & FUSE_RING_MASK] = G.ring[k][l];
        m->head[i] = (hd + head) & FUSE_RING_MASK;
        m->solver_days[i] += n_solver_days[0][l];
        m->solver_days[n + i] += n_solver_days[1][l];
    }
}

#define FUSE_GROUP_FOR(name)                                                                     \
    FUSE_CLONES static void FL(fl_run_group_##name)(hs_model_impl *m, const size_t *hru,         \
                                                    size_t n_real, const hs_forcing_view *fv,    \
                                                    const hs_flux_view *out)                     \
    {                                                                                            \
        FL(fl_run_group)(m, &fuse_shape_##name, hru, n_real, fv, out);                           \
    }
#if FL_W == 8
FUSE_GROUP_FOR(prms)
FUSE_GROUP_FOR(sac)
#else
FUSE_GROUP_FOR(topmodel)
FUSE_GROUP_FOR(vic)
#endif
#undef FUSE_GROUP_FOR
