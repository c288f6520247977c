"""Hand-written closed forms: the independent oracle for the derived fields.

Written from the mathematical brief (../shared/docs/dirac-gan.md) and the seed (003), by hand,
in numpy; nothing here comes from the library.  State order (θ, φ); shapes (N, d).
"""

import numpy as np


def sigma(x):
    return 1.0 / (1.0 + np.exp(-x))


def _dot(theta, phi):
    return np.sum(theta * phi, axis=-1, keepdims=True)


def _norm(x):
    return np.linalg.norm(x, axis=-1, keepdims=True)


def vanilla(theta, phi):
    p = _dot(theta, phi)
    return (1 - sigma(p)) * phi, -sigma(p) * theta


def minimax(theta, phi):
    p = _dot(theta, phi)
    return sigma(p) * phi, -sigma(p) * theta


def wgan(theta, phi):
    p, r = _dot(theta, phi), _norm(phi)
    return phi / r, -theta / r + p * phi / r**3


def gp(theta, phi, lam, c):
    return phi, -theta - 2 * lam * (1 - c / _norm(phi)) * phi


def gp0(theta, phi, lam):
    return phi, -theta - 2 * lam * phi


def gp1(theta, phi, lam):
    return gp(theta, phi, lam, 1.0)


def qp(theta, phi, lam):
    p, r = _dot(theta, phi), _norm(theta)
    return phi, -theta - p * theta / (lam * r)


def bilinear(theta, phi, clip=None):
    """wgan-clip's unconstrained gradient field (the clip is a projection, not a loss)."""
    return phi, -theta


FIELDS = {
    "vanilla": vanilla,
    "minimax": minimax,
    "wgan": wgan,
    "gp": gp,
    "gp0": gp0,
    "gp1": gp1,
    "qp": qp,
    "wgan-clip": bilinear,
}


def gp0_matrix(lam, dim):
    """The linear gp0 field z' = M z for z = (θ, φ): θ' = φ, φ' = −θ − 2λφ."""
    eye = np.eye(dim)
    zero = np.zeros((dim, dim))
    return np.block([[zero, eye], [-eye, -2 * lam * eye]])
