"""What a submission says about its issuer's signature, checked as far as it can be before
its documents are read: who the issuer is, whether it must sign, and the signature's form.

The signature itself is checked against the documents' leaves where they are computed
(`notary.pipeline.accept`), against the issuer's keys as the chain reported them at most
NOTARY_SIGNER_MAX_AGE ago (`notary.pipeline.signers`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from api.state import ServiceState
from notary.core.errors import FormatError
from notary.core.issuer_signing import SubmissionRoot
from notary.core.types import to_checksum_address
from notary.pipeline.submissions import (
    ISSUER_FIELD,
    LEAVES_ROOT_FIELD,
    SIGNATURE_FIELD,
    SubmissionSignature,
    field_text,
    parse_signature,
    registry_domain,
    require_signature,
)


@dataclass(frozen=True)
class SignatureClaim:
    """The signature fields of a submission, as sent (None: not sent)."""

    signature: object = None
    leaves_root: object = None
    issuer: object = None


async def checked_signature(
    service: ServiceState, issuer: str, claim: SignatureClaim
) -> SubmissionSignature | None:
    """The signature to check the documents against; None for an issuer that does not sign.

    422 naming the field: another issuer named, a signing issuer's submission unsigned, a
    signature from an issuer with no key, a malformed signature or root. 503 when the
    chain must be asked and cannot be.
    """
    if claim.issuer is not None:
        named = to_checksum_address(field_text(claim.issuer, ISSUER_FIELD), ISSUER_FIELD)
        if named != issuer:
            raise FormatError(
                ISSUER_FIELD,
                f"this API key is issuer {issuer}'s, the submission names {named}: one "
                "submission holds the documents of the issuer whose key sends it",
            )
    signed = claim.signature is not None
    if claim.leaves_root is not None and not signed:
        raise FormatError(SIGNATURE_FIELD, "a leavesRoot comes with the signature of it")
    keys = service.signers.fresh(issuer)
    if keys is None:
        keys = await service.blocking(service.signers.for_submission, issuer, signed)
    require_signature(keys, signed)
    if not signed:
        return None
    signature = parse_signature(claim.signature)
    root = None
    if claim.leaves_root is not None:
        root = SubmissionRoot.from_hex(field_text(claim.leaves_root, LEAVES_ROOT_FIELD))
    chain_id = service.known_chain_id or await service.learn_chain_id()
    return SubmissionSignature(
        signature, registry_domain(chain_id, service.registry.address), keys, root
    )


async def with_newer_keys(
    service: ServiceState, issuer: str, signed: SubmissionSignature
) -> SubmissionSignature | None:
    """`signed` checked against the issuer's keys read again, after a signature by a key
    not among those read before (None: they were read a moment ago; the refusal stands)."""
    keys = await service.blocking(service.signers.newer, issuer)
    return None if keys is None else dataclasses.replace(signed, keys=keys)
