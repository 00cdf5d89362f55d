"""``SummaryWriter``: torch's TensorBoard writer API on top of tensorboardX.

Why tensorboardX: it is a maintained, light library (numpy + protobuf) that writes
TensorBoard's event files and builds every summary torch's writer offers (scalars,
histograms, images, figures, text, hparams, embeddings, PR curves); torch's own
``torch.utils.tensorboard`` was modelled on it and keeps the same method signatures. The
``tensorboard`` package writes event files too, but leaves the summary builders to its
caller and pulls in the whole server (grpc, werkzeug ...) just to write logs. TensorBoard
itself is still what you view the logs with.

What this module adds to tensorboardX: Tensors are accepted wherever torch accepts them,
the constructor and ``add_hparams`` take torch's argument names, and ``add_graph`` draws
*our* recorded autograd graph (tensorboardX's needs torch.jit).
"""

from __future__ import annotations

import functools
import os
import time

try:
    import tensorboardX as _tbx
    from tensorboardX.proto import (
        attr_value_pb2,
        event_pb2,
        graph_pb2,
        node_def_pb2,
        tensor_shape_pb2,
        versions_pb2,
    )
    from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData
except ImportError as e:  # pragma: no cover - exercised by a test that hides the package
    raise ImportError(
        "autograd.utils.tensorboard needs the tensorboardX package to write TensorBoard logs: "
        'pip install "jitgrad[tensorboard]" (or: pip install tensorboardX pillow); view the '
        "logs with: pip install tensorboard; tensorboard --logdir runs"
    ) from e

from ...tensor import Tensor

__all__ = ["SummaryWriter"]


def _np(x):
    """Tensors (also inside lists, tuples and dicts) as NumPy arrays; anything else as is."""
    if isinstance(x, Tensor):
        return x.detach().numpy()
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and any(isinstance(v, Tensor) for v in x):
        return type(x)(_np(v) for v in x)
    return x


def _number(v):
    return v.item() if isinstance(v, Tensor) else v


def _numpy_args(method):
    """Wrap a tensorboardX method so that it accepts autograd Tensors."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return method(self, *[_np(a) for a in args], **{k: _np(v) for k, v in kwargs.items()})

    return wrapper


class SummaryWriter(_tbx.SummaryWriter):
    """Write TensorBoard event files (``torch.utils.tensorboard.SummaryWriter``).

    ``log_dir`` defaults to ``runs/<date>_<host><comment>``. Methods: ``add_scalar``,
    ``add_scalars``, ``add_histogram``, ``add_image(s)``, ``add_figure``, ``add_text``,
    ``add_hparams``, ``add_graph``, ``add_embedding``, ``add_pr_curve`` ...; ``flush``,
    ``close``, and ``with SummaryWriter() as w:``.

    Example:
        >>> w = SummaryWriter(log_dir)                            # doctest: +SKIP
        >>> w.add_scalar("train/loss", loss, epoch)               # a 0-d Tensor or a number
        >>> w.add_histogram("fc1.weight", model.fc1.weight, epoch)
        >>> w.add_graph(model, x)
        >>> w.close()
    """

    def __init__(
        self,
        log_dir=None,
        comment="",
        purge_step=None,
        max_queue=10,
        flush_secs=120,
        filename_suffix="",
    ):
        super().__init__(
            logdir=log_dir,
            comment=comment,
            purge_step=purge_step,
            max_queue=max_queue,
            flush_secs=flush_secs,
            filename_suffix=filename_suffix,
        )
        self.log_dir = self.logdir

    def get_logdir(self) -> str:
        return self.logdir

    def add_scalar(
        self,
        tag,
        scalar_value,
        global_step=None,
        walltime=None,
        new_style=False,
        double_precision=False,
    ):
        """Log one number (a Python number or a one-element Tensor) at ``global_step``."""
        if isinstance(scalar_value, Tensor):
            scalar_value = scalar_value.item()
        return super().add_scalar(tag, scalar_value, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Log several numbers under one chart: each key is its own run, written (as torch
        writes it) to the sub-folder ``<main_tag>_<key>`` of this writer's folder."""
        walltime = time.time() if walltime is None else walltime
        base = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            logdir = os.path.join(base, main_tag.replace("/", "_") + "_" + tag)
            fw = self.all_writers.get(logdir)
            if fw is None:
                fw = self.all_writers[logdir] = _tbx.writer.FileWriter(
                    logdir, self._max_queue, self._flush_secs, self._filename_suffix
                )
            value = value.item() if isinstance(value, Tensor) else float(value)
            fw.add_summary(_tbx.summary.scalar(main_tag, value), global_step, walltime)

    add_histogram = _numpy_args(_tbx.SummaryWriter.add_histogram)
    add_histogram_raw = _numpy_args(_tbx.SummaryWriter.add_histogram_raw)
    add_image = _numpy_args(_tbx.SummaryWriter.add_image)
    add_images = _numpy_args(_tbx.SummaryWriter.add_images)
    add_image_with_boxes = _numpy_args(_tbx.SummaryWriter.add_image_with_boxes)
    add_video = _numpy_args(_tbx.SummaryWriter.add_video)
    add_audio = _numpy_args(_tbx.SummaryWriter.add_audio)
    add_embedding = _numpy_args(_tbx.SummaryWriter.add_embedding)
    add_pr_curve = _numpy_args(_tbx.SummaryWriter.add_pr_curve)
    add_mesh = _numpy_args(_tbx.SummaryWriter.add_mesh)

    def add_hparams(
        self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None
    ):
        """Log a run's hyperparameters with its final metrics (TensorBoard's HPARAMS tab).

        As in torch, they go to a sub-folder ``run_name`` (default: the current time) of
        this writer's folder, with the metrics also logged there as scalars.
        ``hparam_domain_discrete`` maps a hyperparameter to the list of values it can take.
        """
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        if hparam_domain_discrete is not None:
            for k, values in hparam_domain_discrete.items():
                if (
                    k not in hparam_dict
                    or not isinstance(values, list)
                    or not all(isinstance(v, type(hparam_dict[k])) for v in values)
                ):
                    raise TypeError(
                        f"parameter: hparam_domain_discrete[{k}] should be a list "
                        f"of same type as hparam_dict[{k}]."
                    )
        hparam_dict = {k: _number(v) for k, v in hparam_dict.items()}
        metric_dict = {k: _number(v) for k, v in metric_dict.items()}
        exp, ssi, sei = _tbx.summary.hparams(hparam_dict, metric_dict)
        if hparam_domain_discrete:
            _add_discrete_domains(exp, hparam_domain_discrete)
        run_dir = os.path.join(self.logdir, run_name or str(time.time()))
        with _tbx.SummaryWriter(logdir=run_dir) as w:
            for summary in (exp, ssi, sei):
                w.file_writer.add_summary(summary)
            for k, v in metric_dict.items():
                w.add_scalar(k, v, global_step)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Draw ``model``'s graph in TensorBoard's GRAPHS tab: the autograd graph one forward
        pass records, grouped by module (``Net/fc1/Addmm_3``), with the parameters' names
        and each tensor's shape on the edges.

        ``input_to_model`` is a Tensor or a tuple of Tensors. Floating inputs appear as
        ``input/input.N`` nodes; integer inputs (token ids) record no graph, so they do not.
        """
        graph = model_graph(model, input_to_model)
        if verbose:
            print(graph)
        self._get_file_writer().add_event(event_pb2.Event(graph_def=graph.SerializeToString()))


def _add_discrete_domains(exp_summary, domains):
    value = exp_summary.value[0]
    data = HParamsPluginData.FromString(value.metadata.plugin_data.content)
    for info in data.experiment.hparam_infos:
        if info.name in domains:
            info.domain_discrete.extend(domains[info.name])
    value.metadata.plugin_data.content = data.SerializeToString()


def _shape_attr(shape):
    dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=int(n)) for n in shape]
    return attr_value_pb2.AttrValue(
        list=attr_value_pb2.AttrValue.ListValue(shape=[tensor_shape_pb2.TensorShapeProto(dim=dims)])
    )


def _op_name(node) -> str:
    """``AddmmBackward0`` -> ``Addmm``: the forward op a graph node records."""
    name = node.name()
    for suffix in ("Backward0", "Backward1", "Backward"):
        if name.endswith(suffix):
            return name[: -len(suffix)] or name
    return name


def model_graph(model, inputs) -> "graph_pb2.GraphDef":
    """Run ``model(*inputs)`` once with grad recording and turn the recorded graph into a
    TensorBoard ``GraphDef``."""
    from ...grad_mode import enable_grad
    from ...viz._graph import GraphData, out_meta

    if inputs is None:
        inputs = ()
    elif isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    # floating inputs become leaves that require grad, so the graph starts at them
    leaves = tuple(
        x.detach().requires_grad_(True) if isinstance(x, Tensor) and x.is_floating_point() else x
        for x in inputs
    )
    input_names = {id(x): f"input/input.{i}" for i, x in enumerate(leaves) if isinstance(x, Tensor)}
    with enable_grad():
        out = model(*leaves)
    outputs = [
        o
        for o in (out if isinstance(out, (tuple, list)) else (out,))
        if isinstance(o, Tensor) and o.requires_grad
    ]
    if not outputs:
        raise ValueError(
            "add_graph: the model's output does not depend on any parameter or "
            "floating input, so no graph was recorded"
        )
    data = GraphData(outputs, params=model if hasattr(model, "named_parameters") else None)
    root = type(model).__name__
    names = {}
    nodes = []
    counter = 0
    for i in reversed(range(len(data))):  # forward order: producers first
        node = data.order[i]
        if data.is_leaf(i):
            var = node.variable
            if id(var) in input_names:
                name, op = input_names[id(var)], "IO Node"
            else:
                pname = data.leaf_name(i) or f"tensor.{data.leaf_number(i)}"
                name, op = root + "/" + pname.replace(".", "/"), "Parameter"
        else:
            path = data.module_of(i)
            scope = root + ("/" + path.replace(".", "/") if path else "")
            name, op = f"{scope}/{_op_name(node)}_{counter}", _op_name(node)
            counter += 1
        names[i] = name
        meta = out_meta(node, 0)
        attrs = {"_output_shapes": _shape_attr(meta[0])} if meta is not None else {}
        if meta is not None:
            attrs["dtype"] = attr_value_pb2.AttrValue(s=str(meta[1]).encode())
        inputs_of = [
            names[data.edges[k][0]]
            for k in sorted(data.producers[i], key=lambda k: data.edges[k][3])
        ]
        nodes.append(
            node_def_pb2.NodeDef(
                name=name, op=op, input=inputs_of, attr=attrs, device="/device:CPU:0"
            )
        )
    for j, (node, _) in enumerate(data.roots):
        i = data.index[node]
        meta = out_meta(node, 0)
        attrs = {"_output_shapes": _shape_attr(meta[0])} if meta is not None else {}
        nodes.append(
            node_def_pb2.NodeDef(
                name=f"output/output.{j}", op="IO Node", input=[names[i]], attr=attrs
            )
        )
    return graph_pb2.GraphDef(node=nodes, versions=versions_pb2.VersionDef(producer=22))
