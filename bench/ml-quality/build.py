#!/usr/bin/python3
"""Builds the ML quality suite: data sets that ship with scikit-learn, split once (fixed seed,
25% test, stratified for classification) into CSV files here, and scikit-learn's scores on the
test split for a set of standard models, each tuned by 5-fold cross-validation on the train split.

Run: /usr/bin/python3 bench/ml-quality/build.py   (Debian python3-sklearn; tested with 1.2.1)
Writes <name>_train.csv, <name>_test.csv (header row, target last) and sklearn_scores.json.
Strata's side: `npm run bench -- ml-quality` trains CREATE MODEL's AUTO ON on each train split
and compares with the best score here.

Data (as bundled with scikit-learn, BSD-3-Clause; original sources and licenses):
  iris           R. A. Fisher (1936), UCI ML Repository, CC BY 4.0
  wine           Forina et al., UCI ML Repository (Wine), CC BY 4.0
  breast_cancer  Wolberg, Street, Mangasarian (1995), UCI ML Repository, CC BY 4.0
  digits         Alpaydin & Kaynak (1998), UCI ML Repository (Optical Recognition of
                 Handwritten Digits, the 8x8 test-set version), CC BY 4.0
  diabetes       Efron, Hastie, Johnstone, Tibshirani (2004), scikit-learn, BSD-3-Clause
"""
import csv
import json
import os
import re

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261206

DATASETS = {
    'iris': (load_iris, 'species', 'classification'),
    'wine': (load_wine, 'cultivar', 'classification'),
    'breast_cancer': (load_breast_cancer, 'benign', 'classification'),
    'digits': (load_digits, 'digit', 'classification'),
    'diabetes': (load_diabetes, 'progression', 'regression'),
}


def models(kind):
    scaled = lambda m: make_pipeline(StandardScaler(), m)
    if kind == 'classification':
        return {
            'logistic': (scaled(LogisticRegression(max_iter=5000)), {'logisticregression__C': [0.01, 0.1, 1, 10, 100]}),
            'svm_rbf': (scaled(SVC()), {'svc__C': [0.1, 1, 10, 100], 'svc__gamma': ['scale', 0.01, 0.1]}),
            'knn': (scaled(KNeighborsClassifier()), {'kneighborsclassifier__n_neighbors': [1, 3, 5, 9, 15]}),
            'random_forest': (RandomForestClassifier(n_estimators=300, random_state=0), {'max_features': ['sqrt', 0.5]}),
            'gradient_boosting': (GradientBoostingClassifier(random_state=0), {'learning_rate': [0.05, 0.1], 'max_depth': [2, 3]}),
            'mlp': (scaled(MLPClassifier(max_iter=2000, random_state=0)), {'mlpclassifier__hidden_layer_sizes': [(64,), (128,)], 'mlpclassifier__alpha': [1e-4, 1e-2]}),
        }
    return {
        'ridge': (scaled(Ridge()), {'ridge__alpha': [0.01, 0.1, 1, 10, 100]}),
        'svr_rbf': (scaled(SVR()), {'svr__C': [1, 10, 100], 'svr__gamma': ['scale', 0.01, 0.1]}),
        'random_forest': (RandomForestRegressor(n_estimators=300, random_state=0), {'max_features': [1.0, 0.5]}),
        'gradient_boosting': (GradientBoostingRegressor(random_state=0), {'learning_rate': [0.05, 0.1], 'max_depth': [2, 3]}),
        'mlp': (scaled(MLPRegressor(max_iter=5000, random_state=0)), {'mlpregressor__hidden_layer_sizes': [(64,)], 'mlpregressor__alpha': [1e-4, 1e-1, 1]}),
    }


def write(path, names, target, x, y):
    with open(path, 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(names + [target])
        for row, t in zip(x, y):
            w.writerow([repr(float(v)) if not float(v).is_integer() else int(v) for v in row] + [int(t) if float(t).is_integer() else float(t)])


def main():
    scores = {}
    for name, (load, target, kind) in DATASETS.items():
        d = load()
        x, y = d.data, d.target
        # SQL column names: letters, digits and underscores
        names = [re.sub(r'[^a-z0-9_]', '_', n.lower().replace(' ', '_').replace('(', '').replace(')', '')) for n in getattr(d, 'feature_names', [])]
        if name == 'digits':
            names = [f'p{i}' for i in range(x.shape[1])]
        xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y if kind == 'classification' else None)
        write(os.path.join(HERE, f'{name}_train.csv'), names, target, xtr, ytr)
        write(os.path.join(HERE, f'{name}_test.csv'), names, target, xte, yte)
        metric = accuracy_score if kind == 'classification' else r2_score
        per = {}
        for mname, (m, grid) in models(kind).items():
            g = GridSearchCV(m, grid, cv=5, n_jobs=1).fit(xtr, ytr)
            per[mname] = round(float(metric(yte, g.predict(xte))), 4)
            print(name, mname, per[mname], g.best_params_, flush=True)
        best = max(per, key=per.get)
        scores[name] = {'problem': kind, 'metric': 'accuracy' if kind == 'classification' else 'r2', 'target': target,
                        'train_rows': int(len(ytr)), 'test_rows': int(len(yte)), 'features': int(x.shape[1]),
                        'best_model': best, 'best': per[best], 'models': per}
    with open(os.path.join(HERE, 'sklearn_scores.json'), 'w') as f:
        json.dump(scores, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
