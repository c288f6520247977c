"""Build examples/tutorial.ipynb from the cells below, then execute it in place (with outputs).

    python examples/make_tutorial.py

The notebook's ``assert`` cells are the claims the text makes; the test suite executes the
committed notebook (tests/test_tutorial.py), so a claim that stops being true fails CI.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

CELLS = [
    ("md", r"""# Why GANs oscillate — a 20-minute tour with `diracgan`

A GAN is a game: a **discriminator** D learns to tell real samples from fake ones, a
**generator** learns to fool it.  Training is two players doing gradient descent on *different*
losses at the same time — and that is why it so often circles instead of settling.

The smallest GAN that shows this is the **Dirac-GAN** (Mescheder, Geiger & Nowozin, ICML 2018;
and Su, “GAN的第三个阶段”, kexue.fm 2019, whose figures we redraw):

* the real data is a single point, 0;
* the generator produces a single point θ ∈ R^d;
* the discriminator is a line through 0, D(x) = φ·x (it scores real samples high).

The game is won, for both players, at θ = φ = 0: the fake sample sits on the real one and the
discriminator cannot tell them apart.  **The question is whether gradient training gets there.**

Everything below uses the Python API; each claim is followed by an `assert` that checks it."""),
    ("code", r"""import numpy as np
import diracgan as dg

print("diracgan", dg.__version__)
for name, spec in dg.GAMES.items():     # the registry: each game is a pair of losses (L_D, L_G)
    print(f"{name:10} {spec.title}")"""),
    ("md", r"""## 1. The game and its vector field

The non-saturating GAN (“vanilla”) has L_D = softplus(θ·φ) and L_G = softplus(−θ·φ).
Gradient training in continuous time is the flow φ' = −∇_φ L_D, θ' = −∇_θ L_G.  `diracgan`
derives that field with sympy from the two losses:"""),
    ("code", r"""vanilla = dg.make_game("vanilla")
der = dg.derive(vanilla.spec)          # θ' = g_θθ θ + g_θφ φ,  φ' = g_φθ θ + g_φφ φ,  p = θ·φ
g = der.coefficients
print("θ' =", g["theta"]["theta"], "· θ  +", g["theta"]["phi"], "· φ")
print("φ' =", g["phi"]["theta"], "· θ  +", g["phi"]["phi"], "· φ")"""),
    ("md", r"""## 2. Vanilla GAN: it orbits

Start where Su does, θ = (0.2, 0.1), φ = (0.1, 0.2), and follow the flow to T = 100.  The figure
shows the generator's θ-plane (○ start, ■ end, arrows: direction of motion, ★ equilibrium) and
the distance ‖(θ, φ)‖ to the equilibrium."""),
    ("code", r"""theta0, phi0 = dg.default_start(2)
run = dg.simulate(vanilla, theta0, phi0, t_max=100)
dg.phase_figure(run)"""),
    ("code", r"""dist = np.linalg.norm(run.state_end[0])
print(f"distance: start {np.linalg.norm(np.r_[theta0, phi0]):.3f}, end {dist:.3f}")
assert 0.2 < dist < 0.32, "vanilla does not reach the equilibrium by T = 100: it keeps circling" """),
    ("md", r"""The generator's sample circles around the real one, losing a little energy at first, and
then settles on a circle **around** the equilibrium instead of reaching it.  The saturating
(“minimax”) GAN is worse: it conserves ‖θ‖² + ‖φ‖² exactly, so it orbits forever."""),
    ("code", r"""minimax = dg.simulate(dg.make_game("minimax"), theta0, phi0, t_max=100)
energy = np.linalg.norm(np.concatenate([minimax.theta[0], minimax.phi[0]], axis=-1), axis=-1)
print(f"‖(θ, φ)‖ over the run: min {energy.min():.9f}, max {energy.max():.9f}")
assert np.ptp(energy) < 1e-6, "minimax conserves ‖θ‖² + ‖φ‖²" """),
    ("md", r"""## 3. Why: the eigenvalues at the equilibrium

Near θ = φ = 0 every loss here reduces to the bilinear coupling θ·φ: the generator moves along
φ and the discriminator against θ.  That is a **rotation**.  The Jacobian of the field at the
equilibrium is J(0) = M ⊗ I_d with a 2×2 matrix M; `analyse` computes it exactly:"""),
    ("code", r"""eq = dg.analyse(vanilla, dim=2)
eq"""),
    ("code", r"""mus = sorted((complex(e.re, e.im) for e in eq.eigenvalues), key=lambda z: z.imag)
print(mus, eq.verdict)
assert np.allclose(mus, [-0.5j, 0.5j]) and eq.verdict == "centre"   # μ = ±i/2: a centre, no damping"""),
    ("md", r"""Purely imaginary eigenvalues mean **nothing removes energy** near the equilibrium: the
linearisation is a centre, and whether the full game creeps in, orbits or drifts away is
decided by the nonlinear terms.  For vanilla and minimax the answer is: it does not converge."""),
    ("md", r"""## 4. Why a zero-centred gradient penalty converges

Add λ‖∇_x D‖² = λ‖φ‖² to the discriminator's loss (“gp0”; R1 and R2 penalties are the same
term for a linear D).  It adds friction −2λφ to the discriminator, M = [[0, 1], [−1, −2λ]],
and the eigenvalues become −λ ± √(λ² − 1): real part −λ < 0 for **every** λ > 0."""),
    ("code", r"""gp0 = dg.make_game("gp0", lam=0.1)
eq0 = dg.analyse(gp0, dim=2)
fate = dg.numeric_verdict(gp0, dim=2, linear=eq0)
print(eq0.verdict, "| predicted rate", eq0.rate, "|", fate.message)
assert eq0.verdict == "asymptotically stable" and abs(eq0.rate - 0.1) < 1e-12
assert fate.verdict == "converges" and abs(fate.rate - 0.1) < 0.005   # measured on the trajectory"""),
    ("code", r"""dg.phase_figure(dg.simulate(gp0, theta0, phi0, t_max=40))"""),
    ("md", r"""How do the eigenvalues move as λ grows?  They leave the imaginary axis at once, meet at −1
for λ = 1 and split along the real axis: with too much penalty one of them drifts back towards
0 and convergence slows down again."""),
    ("code", r"""sweep = dg.eigenvalue_sweep(gp0, "lam", np.linspace(0, 3, 61))
slowest = sweep.max_re
best = sweep.values[np.argmin(slowest)]
print(f"fastest local convergence at λ = {best:g} (rate {-slowest.min():g})")
assert best == 1.0
dg.sweep_figure(sweep)"""),
    ("md", r"""## 5. The other games Su draws

WGAN (normalised critic), WGAN-GP (penalty centred at ‖∇D‖ = 1, “gp1”) and GAN-QP are **not
differentiable** at the equilibrium (they divide by ‖φ‖ or ‖θ‖), so the eigenvalues say
nothing; the tool says so and decides by integration.  gp1, for instance, pushes ‖φ‖ towards
1, away from 0: the generator ends on the circle ‖θ‖ = 1."""),
    ("code", r"""gp1 = dg.make_game("gp1", lam=0.1)
print(dg.analyse(gp1, 2).verdict)
run1 = dg.simulate(gp1, theta0, phi0, t_max=150)
r_end = np.linalg.norm(run1.state_end[0][:2])
print(f"‖θ‖ at T = 150: {r_end:.3f}")
assert dg.analyse(gp1, 2).verdict == "not differentiable" and abs(r_end - 1) < 0.05
dg.phase_figure(run1)"""),
    ("md", r"""## 6. Discrete steps make it worse

Real training takes steps of size h (the learning rate).  A gradient step maps each
eigenvalue μ of J(0) to 1 + hμ.  On the centre, μ = ±i/2, that is 1 ± ih/2, of modulus
√(1 + h²/4) > 1: **simultaneous gradient descent spirals out for every learning rate.**
`train` runs the discrete game with optimizers that step as `torch.optim` does."""),
    ("code", r"""h = 0.1
sim = dg.train(vanilla, theta0, phi0, optimizer="sgd", lr=h, mode="simultaneous", steps=1000)
alt = dg.train(vanilla, theta0, phi0, optimizer="sgd", lr=h, mode="alternating", steps=1000)
rho = dg.discrete_stability(vanilla, dg.scheme_factory("sgd", lr=h, mode="simultaneous")()).rho
print(f"spectral radius of one simultaneous step: {rho:.6f} (√(1 + h²/4) = {np.sqrt(1 + h**2 / 4):.6f})")
print(f"distance after 1000 steps: simultaneous {sim.distance()[0, -1]:.3f}, alternating {alt.distance()[0, -1]:.3f}")
assert abs(rho - np.sqrt(1 + h**2 / 4)) < 1e-12
assert sim.distance()[0, -1] > 2 * sim.distance()[0, 0]       # spirals out
assert alt.distance()[0, -1] < alt.distance()[0, 0]           # alternating steps keep orbiting
dg.training_figure(sim)"""),
    ("md", r"""## 7. What weight averaging (EMA) changes

The orbit's centre *is* the equilibrium.  So the exponential moving average of the generator's
weights, θ̄ ← β θ̄ + (1 − β) θ, cancels the rotation once its window (about 1/(1 − β) steps)
spans a few turns: the average sits much closer to 0 than the iterate ever does.  This is why
GAN papers report results with an EMA of the generator."""),
    ("code", r"""avg = dg.train(vanilla, theta0, phi0, optimizer="sgd", lr=0.05, mode="alternating", steps=8_000,
               record_every=4, ema=0.999)
gain = avg.ema_gain()[0]
print(f"over the last quarter the iterate is {gain:.1f}× farther from the equilibrium than its EMA")
assert gain > 5
dg.training_figure(avg)"""),
    ("md", r"""## 8. Your turn

* Change λ of gp0 (try 0.01, 1, 5) and predict the rate before you run `numeric_verdict`.
* Find the largest learning rate for which simultaneous SGD on gp0 (λ = 0.1) converges:
  `dg.discrete_stability(gp0, dg.scheme_factory("sgd", lr=h, mode="simultaneous")()).largest_lr`
  — then compare with 2λ.
* Try `optimizer="adam", betas=(0.5, 0.9)` on vanilla, or `optimizer="extragradient"`.
* Results convert to tables: `run.to_dataframe()` (pandas) or `run.to_xarray()`.

From the command line the same experiments are `diracgan phase`, `diracgan eig`,
`diracgan train` and `diracgan stability`; `diracgan figures` redraws every figure of the
README."""),
]


def build() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


if __name__ == "__main__":
    import time

    from nbclient import NotebookClient

    nb = build()
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    print(f"executed in {time.perf_counter() - t0:.1f} s")
    for cell in nb.cells:   # keep the file stable: no execution timestamps
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(nb, HERE / "tutorial.ipynb")
