#!/usr/bin/python3
"""Fixtures for LINEAR_LEARNER's exact solver (ml/train/glm.ts), from scikit-learn on the quality
suite's train/test splits (bench/ml-quality/*.csv): features standardized with the train split's
mean and population standard deviation, as Strata's default preprocessing does.

  ridge:    Ridge(alpha) coefficients and test predictions for alpha in 0.1, 1, 10 (diabetes), and
            RidgeCV's leave-one-out choice over ml/train/glm.ts's RIDGE_ALPHAS
  logistic: LogisticRegression(C) test probabilities: softmax on iris (C=10), sigmoid on
            breast_cancer (C=1)

Run: /usr/bin/python3 models/build_glm_fixtures.py   (Debian python3-sklearn; tested with 1.2.1)
"""
import json
import os

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(HERE, '..', 'bench', 'ml-quality')
RIDGE_ALPHAS = [1e-3, 1e-2, 0.1, 1, 10, 100, 1000]


def split(name):
    def read(part):
        a = np.loadtxt(os.path.join(SUITE, f'{name}_{part}.csv'), delimiter=',', skiprows=1)
        return a[:, :-1], a[:, -1]
    xtr, ytr = read('train')
    xte, yte = read('test')
    mean, std = xtr.mean(axis=0), xtr.std(axis=0)
    return (xtr - mean) / std, ytr, (xte - mean) / std, yte


def main():
    out = {'ridge': {}, 'logistic': {}}
    xtr, ytr, xte, _ = split('diabetes')
    for alpha in [0.1, 1, 10]:
        m = Ridge(alpha=alpha).fit(xtr, ytr)
        out['ridge'][str(alpha)] = {'coef': m.coef_.tolist(), 'intercept': float(m.intercept_), 'test': m.predict(xte).tolist()}
    cv = RidgeCV(alphas=RIDGE_ALPHAS).fit(xtr, ytr)  # efficient leave-one-out
    out['ridge']['loo_alpha'] = float(cv.alpha_)
    for name, C in [('iris', 10), ('breast_cancer', 1)]:
        xtr, ytr, xte, _ = split(name)
        m = LogisticRegression(C=C, tol=1e-10, max_iter=100000).fit(xtr, ytr)
        out['logistic'][name] = {'C': C, 'classes': len(m.classes_), 'test_proba': m.predict_proba(xte).tolist()}
    with open(os.path.join(HERE, 'glm_fixtures.json'), 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
