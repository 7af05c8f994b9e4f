#!/usr/bin/python3
"""Drift fixtures: PSI and two-sample KS computed by numpy/scipy for ml/drift (test/ml/drift).

Run with Debian's python3-scipy: /usr/bin/python3 models/build_drift_fixtures.py
Writes models/drift_fixtures.json. Values are rounded to 4 decimals first, so both sides see
the same numbers. The PSI reference is the usual formula sum((a - e) * ln(a / e)) over bin shares
floored at 1e-4, with training deciles (numpy's linear quantiles, duplicates dropped) as interior
edges, numpy searchsorted(side='right') binning, and NULLs as a bin of their own.
"""
import json
import os

import numpy as np
import scipy
from scipy import stats

FLOOR = 1e-4
rng = np.random.default_rng(20261206)


def psi(expected, actual):
    e = np.maximum(np.asarray(expected, float) / np.sum(expected), FLOOR)
    a = np.maximum(np.asarray(actual, float) / np.sum(actual), FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_psi(train, new):
    t = train[~np.isnan(train)]
    edges = []
    for k in range(1, 10):
        q = float(np.quantile(t, k / 10))
        if not edges or q > edges[-1]:
            edges.append(q)
    def counts(x):
        v = x[~np.isnan(x)]
        c = np.bincount(np.searchsorted(edges, v, side='right'), minlength=len(edges) + 1)
        return list(map(int, c)) + [int(np.isnan(x).sum())]
    return edges, psi(counts(train), counts(new))


def ks(a, b, method):
    a = a[~np.isnan(a)]
    b = b[~np.isnan(b)]
    r = stats.ks_2samp(a, b, alternative='two-sided', method=method)
    return float(r.statistic), float(r.pvalue)


def r4(x):
    return np.round(x, 4)


def numeric_case(name, train, new):
    train, new = r4(train), r4(new)
    edges, p = numeric_psi(train, new)
    n1, n2 = int((~np.isnan(train)).sum()), int((~np.isnan(new)).sum())
    case = {'name': name, 'train': [None if np.isnan(x) else float(x) for x in train],
            'new': [None if np.isnan(x) else float(x) for x in new], 'edges': edges, 'psi': p}
    if n1 * n2 <= 4_000_000:
        case['ks'], case['ks_pvalue'] = ks(train, new, 'exact')
    else:
        d, p_asymp = ks(train, new, 'asymp')
        en = n1 * n2 / (n1 + n2)
        case['ks'] = d
        # Kolmogorov's limiting distribution, and scipy's own asymptotic answer beside it
        case['ks_pvalue'] = float(stats.kstwobign.sf(np.sqrt(en) * d))
        case['ks_pvalue_scipy_asymp'] = p_asymp
    return case


def text_case(name, train, new):
    cats = {}
    for s in train:
        if s is not None:
            cats[s] = cats.get(s, 0) + 1
    kept = sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))
    names = [k for k, _ in kept]
    def counts(xs):
        c = [sum(1 for x in xs if x == k) for k in names]
        other = sum(1 for x in xs if x is not None and x not in cats)
        return c + [other, sum(1 for x in xs if x is None)]
    return {'name': name, 'train': train, 'new': new, 'psi': psi(counts(train), counts(new))}


def with_nulls(x, share):
    x = x.copy()
    x[rng.random(len(x)) < share] = np.nan
    return x


def pick(values, probs, n):
    return [None if v == 'NULL' else v for v in rng.choice(values, size=n, p=probs)]


numeric = [
    numeric_case('same normal', rng.normal(0, 1, 400), rng.normal(0, 1, 300)),
    numeric_case('shifted normal', rng.normal(0, 1, 500), rng.normal(0.5, 1, 200)),
    numeric_case('wider', rng.normal(10, 2, 300), rng.normal(10, 4, 250)),
    numeric_case('small samples', rng.normal(0, 1, 12), rng.normal(1, 1, 9)),
    numeric_case('equal sizes', rng.exponential(1, 60), rng.exponential(1.5, 60)),
    numeric_case('integers with ties', rng.integers(0, 6, 400).astype(float), rng.integers(1, 8, 350).astype(float)),
    numeric_case('with nulls', with_nulls(rng.normal(0, 1, 600), 0.05), with_nulls(rng.normal(0.2, 1, 400), 0.3)),
    numeric_case('large, asymptotic', rng.normal(0, 1, 1000), rng.normal(0.05, 1, 8000)),
]
text = [
    text_case('same mix', pick(['a', 'b', 'c'], [0.5, 0.3, 0.2], 500), pick(['a', 'b', 'c'], [0.5, 0.3, 0.2], 400)),
    text_case('new category and nulls', pick(['a', 'b', 'c', 'NULL'], [0.5, 0.3, 0.15, 0.05], 500), pick(['a', 'b', 'd', 'NULL'], [0.2, 0.3, 0.3, 0.2], 300)),
    text_case('category gone', pick(['x', 'y', 'z'], [0.4, 0.4, 0.2], 300), pick(['x', 'y'], [0.5, 0.5], 300)),
]

out = {'generator': 'models/build_drift_fixtures.py', 'scipy': scipy.__version__, 'numpy': np.__version__,
       'numeric': numeric, 'text': text}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'drift_fixtures.json')
with open(path, 'w') as f:
    json.dump(out, f)
print(f'wrote {path}')
