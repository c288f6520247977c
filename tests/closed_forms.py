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


def lsgan(theta, phi, a, b, c):
    """½(D_real − b)² + ½(D_fake − a)² for D (D_real = 0: b drops out), ½(D_fake − c)² for G."""
    p = _dot(theta, phi)
    return -(p - c) * phi, -(p - a) * theta


def hinge(theta, phi):
    """max(0, 1 − D_real) + max(0, 1 + D_fake) for D: φ' = −[θ·φ > −1] θ; θ' = φ (G: −D_fake)."""
    p = _dot(theta, phi)
    return phi, -(p > -1).astype(float) * theta


def rasgan(theta, phi):
    """Both relativistic-average losses are twice vanilla's for point masses."""
    p = _dot(theta, phi)
    return 2 * (1 - sigma(p)) * phi, -2 * sigma(p) * theta


FIELDS = {
    "vanilla": vanilla,
    "minimax": minimax,
    "wgan": wgan,
    "gp": gp,
    "gp0": gp0,
    "gp1": gp1,
    "qp": qp,
    "wgan-clip": bilinear,
    "lsgan": lsgan,
    "hinge": hinge,
    "rsgan": vanilla,      # D_real = 0: softplus(D_fake − D_real) is vanilla's softplus(D_fake)
    "rasgan": rasgan,
}


def gp0_matrix(lam, dim):
    """The linear gp0 field z' = M z for z = (θ, φ): θ' = φ, φ' = −θ − 2λφ."""
    eye = np.eye(dim)
    zero = np.zeros((dim, dim))
    return np.block([[zero, eye], [-eye, -2 * lam * eye]])
