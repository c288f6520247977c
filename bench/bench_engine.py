"""The batched engine against its baselines and its floor (issue 14), in one run.

    python bench/bench_engine.py              # N = 100, 1,000, 10,000, 100,000 (a few minutes)
    python bench/bench_engine.py --quick      # N ≤ 10,000, fewer repeats

gp0 (λ = 0.1), d = 2, T = 40, rtol 1e-8 / atol 1e-10, 1,001 output samples.  For each batch
size N it prints the time per run of

* ``diracgan``: :func:`diracgan.simulate` (DOP853);
* ``stacked``: one ``scipy.integrate.solve_ivp`` (DOP853, t_eval) on the stacked system with
  the generated field and tolerances ÷ √N (what a user would write to batch solve_ivp);
* ``floor``: diracgan's own field evaluations (same number, same batch sizes) done by a
  hand-written numpy field, and nothing else: no Runge–Kutta arithmetic, no dense output, no
  output array.  So ``diracgan / floor`` is everything the engine spends beyond calling the
  field;
* ``diffrax`` (JAX, vmap, jit) when jax and diffrax are installed (optional, not a dependency);

then the ratios, measured interleaved in the same run (medians of repeats).  Also printed:
the generated field against the hand-written one at the engine's group size and at 100,000
states; the accuracy per run of the batch against one-by-one ``solve_ivp``; the peak memory of
``simulate`` at the largest N (its (N, S, 2d) output is most of it); and the non-smooth fields
(hinge, and gp1 in d = 1, whose ‖φ‖ = |φ| jumps at φ = 0) batched against one-by-one.
Timing bounds live here, never in unit tests.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections import Counter

import numpy as np
import scipy.integrate
import scipy.special

from diracgan import make_game, random_starts, simulate
from diracgan.derivation.numeric import vector_field
from diracgan.dynamics.flow import GROUP_SIZE, output_times

RTOL, ATOL, T_MAX, SAMPLES, DIM = 1e-8, 1e-10, 40.0, 1001, 2


# -- hand-written fields (the baseline; the package's fields are generated) -------------------
def hand_gp0(lam):
    def field(c):
        d = c.shape[0] // 2
        out = np.empty(c.shape)
        out[:d] = c[d:]
        np.multiply(c[d:], -2 * lam, out=out[d:])
        out[d:] -= c[:d]
        return out
    return field


def hand_vanilla(c):
    d = c.shape[0] // 2
    s = scipy.special.expit(np.einsum("ik,ik->k", c[:d], c[d:]))
    out = np.empty(c.shape)
    np.multiply(c[d:], 1 - s, out=out[:d])
    np.multiply(c[:d], -s, out=out[d:])
    return out


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def per_call(fn, arg, seconds=0.05):
    """Median seconds per call of fn(arg) (batches of calls, 5 repeats)."""
    fn(arg)
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn(arg)
        if time.perf_counter() - t0 > seconds / 5 or n > 1 << 16:
            break
        n *= 2
    return median_time(lambda: [fn(arg) for _ in range(n)], 5) / n


def field_calls(game, theta, phi):
    """The batch sizes of the engine's field calls in one simulate (an untimed run)."""
    vf = vector_field(game.spec)
    sizes = Counter()
    inner = vf.rhs_columns

    def counting(c, params=(), out=None):
        sizes[c.shape[1]] += 1
        return inner(c, params, out)

    vf.rhs_columns = counting
    try:
        run = simulate(game, theta, phi, t_max=T_MAX, samples=SAMPLES, rtol=RTOL, atol=ATOL)
    finally:
        del vf.rhs_columns
    return sizes, run


def stacked_solve_ivp(game, theta, phi, t):
    n = len(theta)
    vf, params = vector_field(game.spec), game.param_values()
    fun = lambda _, y: vf.rhs(y.reshape(n, -1), params).ravel()  # noqa: E731
    z0 = np.hstack([theta, phi]).ravel()
    scale = np.sqrt(n)
    return scipy.integrate.solve_ivp(fun, (0, t[-1]), z0, method="DOP853", t_eval=t, rtol=max(RTOL / scale, 2.3e-14),
                                     atol=ATOL / scale)


def diffrax_runner():
    try:
        import diffrax
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    lam = 0.1

    def f(t, z, args):
        d = z.shape[0] // 2
        return jnp.concatenate([z[d:], -z[:d] - 2 * lam * z[d:]])

    ts = jnp.linspace(0, T_MAX, SAMPLES)

    def one(z0):
        sol = diffrax.diffeqsolve(diffrax.ODETerm(f), diffrax.Dopri8(), 0.0, T_MAX, None, z0,
                                  saveat=diffrax.SaveAt(ts=ts),
                                  stepsize_controller=diffrax.PIDController(rtol=RTOL, atol=ATOL), max_steps=100_000)
        return sol.ys

    solve = jax.jit(jax.vmap(one))
    return lambda z0: solve(jnp.asarray(z0)).block_until_ready()


def bench_batches(sizes_n, repeats) -> None:
    game = make_game("gp0")
    lam = float(game.param_values()[0])
    hand = hand_gp0(lam)
    t = output_times(T_MAX, SAMPLES)
    simulate(game, *random_starts(2, DIM, seed=0), t_max=1.0)   # derive + lambdify once, untimed
    dfx = diffrax_runner()
    print(f"gp0 (λ = {lam:g}), d = {DIM}, T = {T_MAX:g}, rtol {RTOL:g} / atol {ATOL:g}, {SAMPLES} samples; "
          f"DOP853; group size {GROUP_SIZE}; ms per run (medians)")
    head = f"{'N':>8} | {'diracgan':>8} | {'stacked':>8} | {'floor':>7} | {'diffrax':>7} | {'÷ stacked':>9} | " \
           f"{'÷ floor':>7} | {'÷ diffrax':>9} | {'nfev':>6} | {'stacked nfev':>12} | worst error ratio vs solo"
    print(head)
    print("-" * len(head))
    for n in sizes_n:
        theta, phi = random_starts(n, DIM, seed=0)
        calls, run = field_calls(game, theta, phi)
        rep = repeats if n <= 10_000 else 1
        t_dg, t_st, t_fl, t_dx = [], [], [], []
        stacked_nfev = 0
        for _ in range(rep):
            t0 = time.perf_counter()
            run = simulate(game, theta, phi, t_max=T_MAX, samples=SAMPLES, rtol=RTOL, atol=ATOL)
            t_dg.append(time.perf_counter() - t0)
            del run
            t0 = time.perf_counter()
            ref = stacked_solve_ivp(game, theta, phi, t)
            t_st.append(time.perf_counter() - t0)
            stacked_nfev = ref.nfev
            del ref
            t_fl.append(sum(count * per_call(hand, np.random.default_rng(k).normal(size=(2 * DIM, k)))
                            for k, count in calls.items()))
            if dfx is not None:
                z0 = np.hstack([theta, phi])
                dfx(z0)
                t0 = time.perf_counter()
                dfx(z0)
                t_dx.append(time.perf_counter() - t0)
        dg, st, fl = (statistics.median(x) / n * 1e3 for x in (t_dg, t_st, t_fl))
        dx = statistics.median(t_dx) / n * 1e3 if t_dx else float("nan")
        acc = accuracy_ratio(game, theta[:20], phi[:20], n) if n <= 1000 else float("nan")
        acc_s = f"{acc:.2f}" if acc == acc else "-"
        print(f"{n:>8,} | {dg:8.3f} | {st:8.3f} | {fl:7.3f} | {dx:7.3f} | {dg / st:9.2f} | {dg / fl:7.2f} | "
              f"{dg / dx:9.2f} | {sum(calls.values()):>6} | {stacked_nfev:>12} | {acc_s}")
        del theta, phi


def accuracy_ratio(game, theta, phi, n):
    """Largest (batch error) / (solo solve_ivp error) over 20 runs of the batch of n, against a
    tight reference (rtol 1e-13)."""
    t = output_times(T_MAX, 101)
    full_t, full_p = random_starts(n, DIM, seed=0)
    run = simulate(game, full_t, full_p, t_max=T_MAX, samples=101, rtol=RTOL, atol=ATOL)
    vf, params = vector_field(game.spec), game.param_values()
    fun = lambda _, z: vf.rhs(z, params)  # noqa: E731
    worst = 0.0
    for i in range(len(theta)):
        z0 = np.concatenate([theta[i], phi[i]])
        solo = scipy.integrate.solve_ivp(fun, (0, T_MAX), z0, method="DOP853", t_eval=t, rtol=RTOL, atol=ATOL).y.T
        tight = scipy.integrate.solve_ivp(fun, (0, T_MAX), z0, method="DOP853", t_eval=t, rtol=1e-13,
                                          atol=1e-15).y.T
        worst = max(worst, np.abs(run.states[i] - tight).max() / (np.abs(solo - tight).max() + 1e-15))
    return worst


def bench_fields() -> None:
    print("\ngenerated field (VectorField.rhs_columns) ÷ hand-written numpy field, per call:")
    for name, hand in (("gp0", None), ("vanilla", hand_vanilla)):
        game = make_game(name)
        vf, params = vector_field(game.spec), game.param_values()
        hand = hand or hand_gp0(float(params[0]))
        cells = []
        for k in (GROUP_SIZE, 100_000):
            c = np.random.default_rng(0).normal(size=(2 * DIM, k))
            assert np.allclose(vf.rhs_columns(c, params), hand(c), rtol=1e-12, atol=1e-15)
            gen, hw = [], []
            for _ in range(3):   # interleaved
                with np.errstate(all="ignore"):
                    gen.append(per_call(lambda x: vf.rhs_columns(x, params), c))
                hw.append(per_call(hand, c))
            g, h = statistics.median(gen), statistics.median(hw)
            cells.append(f"k = {k:,}: {g * 1e6:.1f} µs vs {h * 1e6:.1f} µs = {g / h:.2f}x")
        print(f"  {name:8} " + "; ".join(cells))


def bench_memory(n) -> None:
    game = make_game("gp0")
    theta, phi = random_starts(n, DIM, seed=0)
    out = n * SAMPLES * 2 * DIM * 8
    tracemalloc.start()
    run = simulate(game, theta, phi, t_max=T_MAX, samples=SAMPLES, rtol=RTOL, atol=ATOL)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del run
    print(f"\npeak memory of simulate at N = {n:,}: {peak / 2**20:,.0f} MiB, of which the (N, S, 2d) output "
          f"{out / 2**20:,.0f} MiB ({peak / out:.3f}x the output)")


def bench_nonsmooth(n, n_solo) -> None:
    print(f"\nnon-smooth fields, T = {T_MAX:g}, default tolerances: {n:,} starts batched vs one by one "
          f"(timed on {n_solo}, scaled)")
    for name, dim in (("hinge", 2), ("gp1", 1), ("gp", 1)):
        game = make_game(name)
        theta, phi = random_starts(n, dim, seed=0)
        simulate(game, theta[:2], phi[:2], t_max=1.0)
        t0 = time.perf_counter()
        batch = simulate(game, theta, phi, t_max=T_MAX)
        t_batch = time.perf_counter() - t0
        t0 = time.perf_counter()
        worst = 0.0
        for i in range(n_solo):
            solo = simulate(game, theta[i], phi[i], t_max=T_MAX)
            worst = max(worst, float(np.nanmax(np.abs(solo.states[0] - batch.states[i]))))
        t_solo = (time.perf_counter() - t0) / n_solo * n
        print(f"  {name:6} d = {dim}: batch {t_batch:.2f} s ({batch.summary()}, {batch.options['switch_landings']} "
              f"landings on switching surfaces), one by one {t_solo:.1f} s: {t_solo / t_batch:.1f}x; "
              f"largest difference batch vs solo {worst:.1e}")


def bench_train(n=1000, steps=2000, lr=1e-3) -> None:
    """train (vanilla, Adam, simultaneous) against a hand-written numpy Adam loop and torch.optim.Adam
    with autograd on batched tensors (torch optional)."""
    from diracgan.dynamics.training import train

    game = make_game("vanilla")
    theta, phi = random_starts(n, DIM, seed=0)

    def ours():
        return train(game, theta, phi, optimizer="adam", lr=lr, mode="simultaneous", steps=steps,
                     record_every=steps)

    def hand():
        th, ph = theta.copy(), phi.copy()
        m = [np.zeros_like(th), np.zeros_like(ph)]
        v = [np.zeros_like(th), np.zeros_like(ph)]
        for t in range(1, steps + 1):
            p = np.einsum("ij,ij->i", th, ph)
            grads = (-scipy.special.expit(-p)[:, None] * ph, scipy.special.expit(p)[:, None] * th)
            new = []
            for k, (x, g) in enumerate(zip((th, ph), grads)):
                m[k] += (g - m[k]) * (1 - 0.9)
                v[k] = v[k] * 0.999 + (1 - 0.999) * (g * g)
                denom = np.sqrt(v[k]) / np.sqrt(1 - 0.999 ** t) + 1e-8
                new.append(x - (lr / (1 - 0.9 ** t)) * (m[k] / denom))
            th, ph = new
        return th, ph

    def torch_run():
        import torch

        th = torch.tensor(theta, requires_grad=True)
        ph = torch.tensor(phi, requires_grad=True)
        opt_g, opt_d = torch.optim.Adam([th], lr=lr), torch.optim.Adam([ph], lr=lr)
        for _ in range(steps):
            p = (th * ph).sum(1)
            g_d, = torch.autograd.grad(torch.nn.functional.softplus(p).sum(), ph, retain_graph=True)
            g_g, = torch.autograd.grad(torch.nn.functional.softplus(-p).sum(), th)
            ph.grad, th.grad = g_d, g_g
            opt_d.step()
            opt_g.step()
        return th.detach().numpy(), ph.detach().numpy()

    try:
        import torch  # noqa: F401
        runners = {"diracgan train": ours, "numpy Adam (hand)": hand, "torch.optim.Adam": torch_run}
    except ImportError:
        runners = {"diracgan train": ours, "numpy Adam (hand)": hand}
    times = {k: [] for k in runners}
    for _ in range(3):
        for k, fn in runners.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    run = ours()
    th, ph = hand()
    diff = max(np.abs(run.theta[:, -1] - th).max(), np.abs(run.phi[:, -1] - ph).max())
    base = statistics.median(times["diracgan train"])
    cells = ", ".join(f"{k} {statistics.median(v):.2f} s ({statistics.median(v) / base:.2f}x)" for k, v in times.items())
    print(f"\ntrain vanilla, {n:,} starts × {steps:,} Adam steps (simultaneous), medians of 3: {cells}; "
          f"largest difference train vs hand Adam {diff:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N ≤ 10,000 and fewer repeats")
    args = parser.parse_args()
    sizes_n = (100, 1000, 10_000) if args.quick else (100, 1000, 10_000, 100_000)
    bench_batches(sizes_n, 3 if args.quick else 5)
    bench_fields()
    bench_memory(sizes_n[-1])
    bench_nonsmooth(1000, 10 if args.quick else 20)
    bench_train()


if __name__ == "__main__":
    main()
