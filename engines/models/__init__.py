"""Every table of ``engines``, one module a room (core, GPU, training): Django reads an
app's models from ``engines.models``, and code imports from the module of its room."""

from engines.models.core import (  # noqa: F401 - the models Django registers
    MAX_CONCURRENCY_LIMIT,
    AdapterHead,
    EngineBuild,
    ModelCall,
    MoveHeadArtefact,
    default_concurrency,
)
from engines.models.gpu import (  # noqa: F401 - the models Django registers
    GpuInstance,
    GpuInstanceQuerySet,
    GpuOperatorAction,
    GpuPolicySettings,
    GpuTickLease,
    GpuTransition,
    default_billing_rule,
    price_problem,
    validate_billing_rules,
    validate_hourly_prices,
)
from engines.models.training import (  # noqa: F401 - the models Django registers
    Evaluation,
    PromotionPolicy,
    RunRecord,
    RunStatus,
    TrainingRun,
)
