"""Shared by the fixture scripts that write XGBoost models as ONNX tree ensembles
(build_shap_fixtures.py, build_converted_fixtures.py): the booster's JSON dump as TreeEnsemble
attributes, its base score, and the model wrapper (opsets, checker)."""
import json

import onnx
from onnx import helper


def xgboost_ensemble_attrs(booster, target_prefix, with_covers=False):
    """The booster's trees as TreeEnsemble attributes: BRANCH_LT (XGBoost's `x < split_condition`),
    missing values down the `missing` branch, leaves as `<target_prefix>_*` weights of target 0;
    with_covers adds each node's cover (XGBoost's hessian sum) as nodes_hitrates (TreeSHAP's weights)."""
    keys = ['nodes_treeids', 'nodes_nodeids', 'nodes_featureids', 'nodes_values', 'nodes_modes',
            'nodes_truenodeids', 'nodes_falsenodeids', 'nodes_missing_value_tracks_true']
    keys += ['nodes_hitrates'] if with_covers else []
    keys += [f'{target_prefix}_treeids', f'{target_prefix}_nodeids', f'{target_prefix}_ids', f'{target_prefix}_weights']
    attrs = {k: [] for k in keys}

    def walk(t, n):
        attrs['nodes_treeids'].append(t)
        attrs['nodes_nodeids'].append(n['nodeid'])
        if with_covers:
            attrs['nodes_hitrates'].append(float(n['cover']))
        if 'leaf' in n:
            for k, v in [('nodes_featureids', 0), ('nodes_values', 0.0), ('nodes_modes', 'LEAF'), ('nodes_truenodeids', 0),
                         ('nodes_falsenodeids', 0), ('nodes_missing_value_tracks_true', 0)]:
                attrs[k].append(v)
            attrs[f'{target_prefix}_treeids'].append(t)
            attrs[f'{target_prefix}_nodeids'].append(n['nodeid'])
            attrs[f'{target_prefix}_ids'].append(0)
            attrs[f'{target_prefix}_weights'].append(float(n['leaf']))
            return
        attrs['nodes_featureids'].append(int(n['split'][1:]))
        attrs['nodes_values'].append(float(n['split_condition']))
        attrs['nodes_modes'].append('BRANCH_LT')
        attrs['nodes_truenodeids'].append(n['yes'])
        attrs['nodes_falsenodeids'].append(n['no'])
        attrs['nodes_missing_value_tracks_true'].append(1 if n['missing'] == n['yes'] else 0)
        for c in n['children']:
            walk(t, c)

    for t, dump in enumerate(booster.get_dump(dump_format='json', with_stats=with_covers)):
        walk(t, json.loads(dump))
    return attrs


def base_score(booster):
    """The booster's base_score (the margin before any tree, in the objective's output space)."""
    return float(json.loads(booster.save_config())['learner']['learner_model_param']['base_score'])


def finish(graph, producer):
    """The graph as a checked model: opset 15 and ai.onnx.ml 3, IR version 8."""
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 15), helper.make_opsetid('ai.onnx.ml', 3)],
                              producer_name=producer)
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
