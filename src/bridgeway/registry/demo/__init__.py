"""Demo and benchmark data: synthetic children with real names in their own scripts.

``generate_children`` is pure Python and deterministic (no database, no Django); loaders and
benchmarks turn its records into rows. ``spelling_variant`` and ``typo`` build search
queries whose distance to the registered name is known.
"""

from bridgeway.registry.demo.generator import (
    ALIAS_KINDS,
    ASSOCIATION_MODES,
    BIRTH_REGISTRATIONS,
    GROUP_TYPES,
    IDENTIFIER_TYPES,
    NAME_KINDS,
    RELATIONSHIPS,
    RISKS,
    SCRIPTS,
    STATUSES,
    VICTIM_STATUSES,
    Alias,
    FamilyMember,
    Identifier,
    NamePart,
    SyntheticChild,
    generate_child,
    generate_children,
)
from bridgeway.registry.demo.variants import (
    native_spellings,
    native_variant,
    spelling_variant,
    typo,
)

__all__ = [
    "ALIAS_KINDS",
    "ASSOCIATION_MODES",
    "BIRTH_REGISTRATIONS",
    "GROUP_TYPES",
    "IDENTIFIER_TYPES",
    "NAME_KINDS",
    "RELATIONSHIPS",
    "RISKS",
    "SCRIPTS",
    "STATUSES",
    "VICTIM_STATUSES",
    "Alias",
    "FamilyMember",
    "Identifier",
    "NamePart",
    "SyntheticChild",
    "generate_child",
    "generate_children",
    "native_spellings",
    "native_variant",
    "spelling_variant",
    "typo",
]
