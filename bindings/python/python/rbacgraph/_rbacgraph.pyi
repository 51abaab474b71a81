"""Type stubs of the native module built from ``bindings/python/src/lib.rs``.

Every method returns the core's DTO (the CLI's ``-o json`` body) as plain
dicts and lists; ``rbacgraph.results`` wraps them in typed objects.
"""

from typing import Any, Dict, List, Optional, Tuple, final

__all__ = ["NativeGraph", "__version__", "techniques"]

__version__: str

_Dto = Dict[str, Any]

@final
class NativeGraph:
    @staticmethod
    def load(paths: List[str], default_namespace: str, strict: bool) -> NativeGraph: ...
    @staticmethod
    def from_text(label: str, text: str, default_namespace: str, strict: bool) -> NativeGraph: ...
    def diagnostics(self) -> List[_Dto]: ...
    def summary(self) -> _Dto: ...
    def can_i(
        self,
        user: str,
        groups: List[str],
        verb: str,
        target: str,
        subresource: Optional[str],
        namespace: str,
    ) -> _Dto: ...
    def who_can(
        self,
        verb: str,
        target: str,
        subresource: Optional[str],
        namespace: str,
        all_namespaces: bool,
        expand: bool,
    ) -> _Dto: ...
    def rules_for(self, user: str, groups: List[str], namespace: str) -> _Dto: ...
    def paths(
        self,
        user: str,
        groups: List[str],
        to: str,
        max_depth: int,
        limit: Optional[int],
        assume_legacy_tokens: bool,
        eks: bool,
    ) -> _Dto: ...
    def who_reaches(
        self, to: str, max_depth: int, assume_legacy_tokens: bool, eks: bool
    ) -> _Dto: ...
    def blast_radius(
        self,
        user: str,
        groups: List[str],
        max_depth: int,
        assume_legacy_tokens: bool,
        eks: bool,
    ) -> _Dto: ...
    def export(
        self, around: Optional[str], depth: int, assume_legacy_tokens: bool, eks: bool
    ) -> _Dto: ...

    def diff(
        self,
        new: NativeGraph,
        escalation_paths: bool,
        max_depth: int,
        assume_legacy_tokens: bool,
        eks: bool,
    ) -> _Dto: ...
    def audit(
        self,
        target_version: Optional[str],
        ignore: Optional[str],
        paths: bool,
        max_depth: int,
        assume_legacy_tokens: bool,
        eks: bool,
        findings: bool,
    ) -> _Dto: ...
    def check(
        self,
        policies: List[Tuple[str, str, Any]],
        against: Optional[NativeGraph],
        assume_legacy_tokens: bool,
        eks: bool,
    ) -> Tuple[_Dto, str, str]: ...
    def usage(
        self,
        audit_logs: List[str],
        users: List[str],
        include_denied: bool,
        expand_verbs: bool,
        name_prefix: str,
        strict: bool,
    ) -> Tuple[_Dto, List[_Dto]]: ...

def techniques() -> Dict[str, str]: ...
