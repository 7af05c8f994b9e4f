#!/usr/bin/python3
"""Builds the TreeSHAP cross-check fixtures: XGBoost models converted to ONNX tree ensembles that
carry each node's cover (XGBoost's hessian sum) as `nodes_hitrates`, plus XGBoost's own SHAP values
(`predict(..., pred_contribs=True)`, its path-dependent TreeSHAP) for test rows.

Run: /usr/bin/python3 models/build_shap_fixtures.py
(Debian: apt-get install python3-sklearn python3-xgboost python3-onnx; tested with scikit-learn
1.2.1, XGBoost 1.7.4, onnx 1.12.0.)

Writes models/shap_*.onnx and models/shap_fixtures.json: per model the file, the SQL signature,
test rows (NaN as null: XGBoost's missing values), XGBoost's predictions (margins and, for the
classifier, probabilities) and contributions (one per feature, then the bias).
Data: breast cancer and diabetes as shipped with scikit-learn (BSD-3-Clause; UCI / Efron et al.);
every 5th row is a test row; in the classifier's data one value in 12 is replaced by NaN so that
missing-value branches are exercised.
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.datasets import load_breast_cancer, load_diabetes
import xgboost as xgb

import tree_onnx

HERE = os.path.dirname(os.path.abspath(__file__))


def finish(graph):
    return tree_onnx.finish(graph, 'strata models/build_shap_fixtures.py')


def binary_classifier(model, n):
    """XGBClassifier (binary:logistic) -> TreeEnsembleClassifier: one score per row (the positive
    class's margin), LOGISTIC, labels [0, 1] (onnxruntime's binary case gives [1 - p, p])."""
    booster = model.get_booster()
    p = tree_onnx.base_score(booster)
    attrs = tree_onnx.xgboost_ensemble_attrs(booster, 'class', with_covers=True)
    node = helper.make_node('TreeEnsembleClassifier', ['float_input'], ['label', 'probabilities'], domain='ai.onnx.ml',
                            classlabels_int64s=[0, 1], post_transform='LOGISTIC', base_values=[float(np.log(p / (1 - p)))], **attrs)
    graph = helper.make_graph([node], 'xgboost_binary', [helper.make_tensor_value_info('float_input', TensorProto.FLOAT, ['N', n])],
                              [helper.make_tensor_value_info('label', TensorProto.INT64, ['N']),
                               helper.make_tensor_value_info('probabilities', TensorProto.FLOAT, ['N', 2])])
    return finish(graph)


def regressor(model, n):
    booster = model.get_booster()
    attrs = tree_onnx.xgboost_ensemble_attrs(booster, 'target', with_covers=True)
    node = helper.make_node('TreeEnsembleRegressor', ['float_input'], ['variable'], domain='ai.onnx.ml',
                            n_targets=1, base_values=[tree_onnx.base_score(booster)], post_transform='NONE', **attrs)
    graph = helper.make_graph([node], 'xgboost_regressor', [helper.make_tensor_value_info('float_input', TensorProto.FLOAT, ['N', n])],
                              [helper.make_tensor_value_info('variable', TensorProto.FLOAT, ['N', 1])])
    return finish(graph)


def split(x, y):
    test = np.arange(len(y)) % 5 == 0
    return x[~test], y[~test], x[test], y[test]


def rows_json(x):
    return [[None if np.isnan(v) else float(v) for v in r] for r in x]


def main():
    out = {}
    rng = np.random.RandomState(0)

    bc = load_breast_cancer()
    x = bc.data.astype(np.float32)
    x[rng.rand(*x.shape) < 1 / 12] = np.nan
    xtr, ytr, xte, _ = split(x, bc.target)
    clf = xgb.XGBClassifier(n_estimators=40, max_depth=4, learning_rate=0.3, random_state=0).fit(xtr, ytr)
    name = 'shap_xgboost_cancer'
    onnx.save(binary_classifier(clf, x.shape[1]), os.path.join(HERE, f'{name}.onnx'))
    dtest = xgb.DMatrix(xte, missing=np.nan)
    out[name] = {
        'file': f'{name}.onnx', 'args': [f'f{i}' for i in range(x.shape[1])], 'returns': 'INTEGER',
        'rows': rows_json(xte),
        'margin': clf.get_booster().predict(dtest, output_margin=True).tolist(),
        'probability': clf.predict_proba(xte)[:, 1].tolist(),
        'contributions': clf.get_booster().predict(dtest, pred_contribs=True).tolist(),
    }

    db = load_diabetes()
    x = db.data.astype(np.float32)
    xtr, ytr, xte, _ = split(x, db.target)
    reg = xgb.XGBRegressor(n_estimators=30, max_depth=5, learning_rate=0.2, random_state=0).fit(xtr, ytr)
    name = 'shap_xgboost_diabetes'
    onnx.save(regressor(reg, x.shape[1]), os.path.join(HERE, f'{name}.onnx'))
    dtest = xgb.DMatrix(xte)
    out[name] = {
        'file': f'{name}.onnx', 'args': list(db.feature_names), 'returns': 'REAL',
        'rows': rows_json(xte),
        'margin': reg.get_booster().predict(dtest, output_margin=True).tolist(),
        'contributions': reg.get_booster().predict(dtest, pred_contribs=True).tolist(),
    }

    with open(os.path.join(HERE, 'shap_fixtures.json'), 'w') as f:
        json.dump(out, f)
        f.write('\n')
    print('wrote', ', '.join(v['file'] for v in out.values()), 'and shap_fixtures.json')


if __name__ == '__main__':
    main()
