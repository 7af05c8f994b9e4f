#!/usr/bin/python3
"""Builds IMPORT MODEL fixtures from models trained by scikit-learn and XGBoost.

Run: /usr/bin/python3 models/build_converted_fixtures.py
(Debian: apt-get install python3-sklearn python3-xgboost python3-onnx; tested with scikit-learn
1.2.1, XGBoost 1.7.4, onnx 1.12.0.)

skl2onnx and onnxmltools (the usual converters) are not installable here (no PyPI), so this script
is the converter: it writes each fitted model's trees as an ONNX TreeEnsemble node with the `onnx`
package, the same mapping those converters use:
  - sklearn RandomForestClassifier -> ai.onnx.ml TreeEnsembleClassifier, BRANCH_LEQ (sklearn's
    `x <= threshold`), each leaf's class distribution divided by the number of trees (sklearn
    averages the trees' predict_proba);
  - XGBRegressor -> TreeEnsembleRegressor, BRANCH_LT (XGBoost's `x < split_condition`), missing
    values down the tree's `missing` branch, base_score as base_values.
Each model gets <name>.onnx, <name>.json (Strata's model metadata, so IMPORT MODEL can restore it)
and, in converted_fixtures.json, test rows with the library's own predictions.
Data: iris and diabetes as shipped with scikit-learn; fixed split (every 5th row is a test row).
"""
import hashlib
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import RandomForestClassifier
import xgboost as xgb

import tree_onnx

HERE = os.path.dirname(os.path.abspath(__file__))


def split(x, y):
    test = np.arange(len(y)) % 5 == 0
    return x[~test], y[~test], x[test], y[test]


def save(name, model, metadata, rows, expected, probabilities=None):
    data = model.SerializeToString()
    with open(os.path.join(HERE, f'{name}.onnx'), 'wb') as f:
        f.write(data)
    metadata = {'format': 'strata-model', 'formatVersion': 1, 'model': name, **metadata,
                'onnxSha256': hashlib.sha256(data).hexdigest()}
    with open(os.path.join(HERE, f'{name}.json'), 'w') as f:
        json.dump(metadata, f, indent=2)
        f.write('\n')
    out = {'file': f'{name}.onnx', 'rows': rows.tolist(), 'expected': expected.tolist()}
    if probabilities is not None:
        out['probabilities'] = probabilities.tolist()
    return out


def forest_classifier(rf, n_features):
    """RandomForestClassifier -> TreeEnsembleClassifier (label int64 [N], probabilities float [N,C])."""
    attrs = {k: [] for k in ['nodes_treeids', 'nodes_nodeids', 'nodes_featureids', 'nodes_values', 'nodes_modes',
                             'nodes_truenodeids', 'nodes_falsenodeids', 'class_treeids', 'class_nodeids', 'class_ids',
                             'class_weights']}
    n_trees = len(rf.estimators_)
    for t, est in enumerate(rf.estimators_):
        tree = est.tree_
        for node in range(tree.node_count):
            leaf = tree.children_left[node] == -1
            attrs['nodes_treeids'].append(t)
            attrs['nodes_nodeids'].append(node)
            attrs['nodes_featureids'].append(0 if leaf else int(tree.feature[node]))
            attrs['nodes_values'].append(0.0 if leaf else float(tree.threshold[node]))
            attrs['nodes_modes'].append('LEAF' if leaf else 'BRANCH_LEQ')
            attrs['nodes_truenodeids'].append(0 if leaf else int(tree.children_left[node]))
            attrs['nodes_falsenodeids'].append(0 if leaf else int(tree.children_right[node]))
            if leaf:
                dist = tree.value[node][0] / tree.value[node][0].sum()
                for c, p in enumerate(dist):
                    attrs['class_treeids'].append(t)
                    attrs['class_nodeids'].append(node)
                    attrs['class_ids'].append(c)
                    attrs['class_weights'].append(float(p) / n_trees)
    node = helper.make_node('TreeEnsembleClassifier', ['float_input'], ['label', 'probabilities'], domain='ai.onnx.ml',
                            classlabels_int64s=[int(c) for c in rf.classes_], post_transform='NONE', **attrs)
    graph = helper.make_graph(
        [node], 'sklearn_random_forest',
        [helper.make_tensor_value_info('float_input', TensorProto.FLOAT, ['N', n_features])],
        [helper.make_tensor_value_info('label', TensorProto.INT64, ['N']),
         helper.make_tensor_value_info('probabilities', TensorProto.FLOAT, ['N', len(rf.classes_)])])
    return finish(graph)


def xgb_regressor(model, n_features):
    """XGBRegressor -> TreeEnsembleRegressor (variable float [N,1])."""
    booster = model.get_booster()
    base = tree_onnx.base_score(booster)
    attrs = tree_onnx.xgboost_ensemble_attrs(booster, 'target')
    node = helper.make_node('TreeEnsembleRegressor', ['float_input'], ['variable'], domain='ai.onnx.ml',
                            n_targets=1, base_values=[base], post_transform='NONE', **attrs)
    graph = helper.make_graph(
        [node], 'xgboost_regressor',
        [helper.make_tensor_value_info('float_input', TensorProto.FLOAT, ['N', n_features])],
        [helper.make_tensor_value_info('variable', TensorProto.FLOAT, ['N', 1])])
    return finish(graph)


def finish(graph):
    return tree_onnx.finish(graph, 'strata models/build_converted_fixtures.py')


def main():
    fixtures = {}

    iris = load_iris()
    x, y = iris.data.astype(np.float32), iris.target
    xtr, ytr, xte, _ = split(x, y)
    rf = RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(xtr, ytr)
    names = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']
    fixtures['sklearn_iris_forest'] = save('sklearn_iris_forest', forest_classifier(rf, 4), {
        'function': 'predict_iris',
        'signature': {'args': [{'name': n, 'type': 'REAL'} for n in names], 'returns': 'INTEGER'},
        'labels': [int(c) for c in rf.classes_], 'proba': True,
        'modelType': 'EXTERNAL (scikit-learn RandomForestClassifier)', 'problemType': 'MULTICLASS_CLASSIFICATION',
        'hyperparameters': {'n_estimators': '20', 'max_depth': '4', 'random_state': '0'},
        'trainingRows': int(len(ytr)),
    }, xte, rf.predict(xte), rf.predict_proba(xte))

    diabetes = load_diabetes()
    x, y = diabetes.data.astype(np.float32), diabetes.target
    xtr, ytr, xte, _ = split(x, y)
    reg = xgb.XGBRegressor(n_estimators=30, max_depth=3, learning_rate=0.2, random_state=0).fit(xtr, ytr)
    fixtures['xgboost_diabetes'] = save('xgboost_diabetes', xgb_regressor(reg, x.shape[1]), {
        'function': 'predict_progression',
        'signature': {'args': [{'name': n, 'type': 'REAL'} for n in diabetes.feature_names], 'returns': 'REAL'},
        'modelType': 'EXTERNAL (XGBoost XGBRegressor)', 'problemType': 'REGRESSION',
        'hyperparameters': {'n_estimators': '30', 'max_depth': '3', 'learning_rate': '0.2', 'random_state': '0'},
        'trainingRows': int(len(ytr)),
    }, xte, reg.predict(xte))

    with open(os.path.join(HERE, 'converted_fixtures.json'), 'w') as f:
        json.dump(fixtures, f, indent=1)
        f.write('\n')
    print('wrote', ', '.join(v['file'] for v in fixtures.values()), 'with their .json metadata and converted_fixtures.json')


if __name__ == '__main__':
    main()
