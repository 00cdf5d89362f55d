"""AdamW: Adam with decoupled weight decay (mirrors ``torch.optim.AdamW``)."""

from .adam import Adam
from .optimizer import _hyperparameters


class AdamW(Adam):
    """Adam whose weight decay shrinks the weights directly (``p *= 1 - lr * wd``) instead of
    being added to the gradient, so it is not rescaled by the adaptive step sizes.

    Example:
        >>> opt = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        # Adam with every argument as given, the weight decay always decoupled
        super().__init__(params, **_hyperparameters(locals()), decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # AdamW is always decoupled, whatever was saved
            group["decoupled_weight_decay"] = True
