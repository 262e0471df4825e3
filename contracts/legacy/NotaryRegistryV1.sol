// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/**
 * @title NotaryRegistryV1
 * @notice FROZEN: the first registry (before issuer signing keys), byte for byte the source
 * deployed until then except for this paragraph and the contract's name, neither of which
 * reaches the bytecode. Kept so that tests can deploy an old registry beside the current
 * one (receipts name their contract, so documents anchored on it keep verifying). Never
 * change it; the current registry is `contracts/NotaryRegistry.sol`.
 *
 * Anchors Merkle roots of batches of issued documents, keeps a registry of issuers,
 * and records revocations, so that anyone can verify a document with one `eth_call` to
 * {check}.
 *
 * Each document is a leaf of an OpenZeppelin `StandardMerkleTree` with leaf encoding
 * `["bytes32","address","bytes32"]` and values `(digest, issuer, metadataDigest)`:
 * `leaf = keccak256(bytes.concat(keccak256(abi.encode(digest, issuer, metadataDigest))))`,
 * inner nodes hash sorted pairs.
 *
 * Roles:
 * - `DEFAULT_ADMIN_ROLE` grants and revokes the other roles (keep it in cold storage);
 * - `REGISTRAR_ROLE` registers and deactivates issuers (the admin holds it from deployment;
 *   granting it to the service lets issuer registration go through the service's API);
 * - `ANCHORER_ROLE` (the service's hot wallet) anchors roots and may revoke on an issuer's behalf;
 * - a registered, active issuer may revoke its own documents.
 *
 * NOTE: Every record here is write-once. A root is anchored once and its record never
 * changes; a revocation is final and can never be undone; a deactivated issuer stays
 * deactivated. Issue a new document instead of "un-revoking" one.
 *
 * WARNING: The contract cannot know who really issued a document: the issuer address is
 * part of the leaf, and the anchorer vouches, by anchoring, that every leaf's issuer
 * authenticated to it. Revocations, by contrast, are keyed by `(issuer, leaf)`, so an
 * issuer can only ever write into its own namespace: it cannot revoke another issuer's
 * document, because a different issuer address yields a different leaf.
 */
contract NotaryRegistryV1 is AccessControl {
    /// @notice Role allowed to {anchor} roots and to {revokeFor} on an issuer's behalf.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @notice Role allowed to {registerIssuer} and {deactivateIssuer}.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice Everything the chain knows about one document, as returned by {check}.
    /// Zeros mean "not recorded": not anchored, not revoked, or unknown issuer.
    struct Verification {
        bytes32 leaf;
        bytes32 root;
        uint64 anchoredAt;
        uint64 anchoredBlock;
        uint64 leafCount;
        uint64 revokedAt;
        uint8 revocationReason;
        uint64 currentBlock;
        string issuerName;
        uint64 issuerRegisteredAt;
        uint64 issuerDeactivatedAt;
    }

    enum IssuerStatus {
        Unknown,
        Active,
        Deactivated
    }

    struct Issuer {
        IssuerStatus status;
        uint64 registeredAt;
        uint64 deactivatedAt;
        string name;
    }

    /// @dev root => timestamp (bits 0-63) | block number (64-127) | leaf count (128-191).
    /// Never zero once written, because the leaf count is at least 1.
    mapping(bytes32 root => uint256) private _anchors;

    /// @dev issuer => leaf => revokedAt (bits 0-63) | reason (64-71).
    /// Never zero once written, because the reason is at least 1.
    mapping(address issuer => mapping(bytes32 leaf => uint256)) private _revocations;

    mapping(address issuer => Issuer) private _issuers;

    /// @notice `issuer` was registered under the display name `name`.
    event IssuerRegistered(address indexed issuer, string name);

    /// @notice `issuer` was deactivated; it can no longer revoke by itself.
    event IssuerDeactivated(address indexed issuer);

    /**
     * @notice `root` was anchored. The time, block and sender are those of the log's block
     * and transaction; the leaf count is in {anchorOf}.
     *
     * NOTE: Anonymous, to keep {anchor} under 47,500 gas: the log's only topic is the root
     * itself (`eth_getLogs` with `topics: [root]` finds the anchoring transaction) and it
     * has no data. It is the only event of this contract with exactly one topic; all
     * others carry their signature hash and at least one more topic.
     */
    event Anchored(bytes32 indexed root) anonymous;

    /**
     * @notice `leaves` of `issuer` were revoked with `reason`: one event per call, for
     * {revoke}, {revokeMany} and {revokeFor} alike.
     *
     * NOTE: Carrying the leaves costs 8 gas per byte, about 264 gas per leaf (23,272 instead
     * of about 23,006 gas per leaf at 100 leaves); it keeps the log self-contained, so
     * indexers need no calldata decoding, which also works when the call comes through a
     * multisig or another contract.
     */
    event Revoked(address indexed issuer, uint8 reason, bytes32[] leaves);

    /// @notice An address argument was the zero address.
    error ZeroAddress();
    /// @notice An issuer was registered with an empty display name.
    error EmptyIssuerName();
    /// @notice `issuer` is already registered (active or deactivated).
    error IssuerAlreadyRegistered(address issuer);
    /// @notice `issuer` was never registered.
    error UnknownIssuer(address issuer);
    /// @notice `issuer` is deactivated and cannot revoke by itself.
    error InactiveIssuer(address issuer);
    /// @notice `issuer` is already deactivated.
    error IssuerAlreadyDeactivated(address issuer);
    /// @notice The root to anchor was zero.
    error ZeroRoot();
    /// @notice The leaf count to anchor was zero.
    error ZeroLeafCount();
    /// @notice The leaf count to anchor does not fit in 64 bits.
    error LeafCountTooLarge(uint256 leafCount);
    /// @notice `root` is already anchored.
    error AlreadyAnchored(bytes32 root);
    /// @notice The revocation reason was 0; valid reasons are 1 to 255.
    error ZeroReason();
    /// @notice A bulk revocation was given no leaves.
    error NoLeaves();
    /// @notice `leaf` is already revoked for this issuer.
    error AlreadyRevoked(bytes32 leaf);

    /// @param admin receives `DEFAULT_ADMIN_ROLE` and `REGISTRAR_ROLE`; it should grant
    /// `ANCHORER_ROLE` next.
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, admin);
    }

    // ------------------------------------------------------------------ issuers

    /// @notice Registers `issuer` with display name `name`. Registrars only.
    function registerIssuer(address issuer, string calldata name) external onlyRole(REGISTRAR_ROLE) {
        if (issuer == address(0)) revert ZeroAddress();
        if (bytes(name).length == 0) revert EmptyIssuerName();
        Issuer storage rec = _issuers[issuer];
        if (rec.status != IssuerStatus.Unknown) revert IssuerAlreadyRegistered(issuer);
        rec.status = IssuerStatus.Active;
        rec.registeredAt = uint64(block.timestamp);
        rec.name = name;
        emit IssuerRegistered(issuer, name);
    }

    /**
     * @notice Deactivates `issuer`: it can no longer revoke by itself. Admin only. Final.
     *
     * NOTE: Documents the issuer notarised stay anchored; whether they are still trusted is
     * the verifier's policy ({check} returns the deactivation time). An anchorer can still
     * revoke them through {revokeFor}.
     */
    function deactivateIssuer(address issuer) external onlyRole(REGISTRAR_ROLE) {
        Issuer storage rec = _issuers[issuer];
        IssuerStatus status = rec.status;
        if (status == IssuerStatus.Unknown) revert UnknownIssuer(issuer);
        if (status == IssuerStatus.Deactivated) revert IssuerAlreadyDeactivated(issuer);
        rec.status = IssuerStatus.Deactivated;
        rec.deactivatedAt = uint64(block.timestamp);
        emit IssuerDeactivated(issuer);
    }

    /// @notice Display name and registration/deactivation times of `issuer`; zeros if unknown.
    function issuerOf(
        address issuer
    ) public view returns (string memory name, uint64 registeredAt, uint64 deactivatedAt) {
        Issuer storage rec = _issuers[issuer];
        return (rec.name, rec.registeredAt, rec.deactivatedAt);
    }

    // ---------------------------------------------------------------- anchoring

    /**
     * @notice Anchors the Merkle `root` of a batch of `leafCount` documents, recording the
     * block's timestamp and number. Anchorer only. A root can be anchored once.
     *
     * NOTE: `leafCount` is informational (receipts and audits show the batch size); the
     * contract cannot check it against the tree.
     */
    function anchor(bytes32 root, uint256 leafCount) external onlyRole(ANCHORER_ROLE) {
        if (root == 0) revert ZeroRoot();
        unchecked {
            // One comparison for both bounds: 0 wraps around to the maximum.
            if (leafCount - 1 >= type(uint64).max) _revertLeafCount(leafCount);
        }
        uint256 record = uint256(uint64(block.timestamp)) | (uint256(uint64(block.number)) << 64) | (leafCount << 128);
        bytes4 alreadyAnchored = AlreadyAnchored.selector;
        assembly ("memory-safe") {
            // _anchors[root], hashed once for the read and the write.
            mstore(0x00, root)
            mstore(0x20, _anchors.slot)
            let slot := keccak256(0x00, 0x40)
            if sload(slot) {
                mstore(0x00, alreadyAnchored)
                mstore(0x04, root)
                revert(0x00, 0x24)
            }
            sstore(slot, record)
        }
        emit Anchored(root);
    }

    /// @notice When and in which block `root` was anchored, and its leaf count; zeros if never.
    function anchorOf(bytes32 root) public view returns (uint64 timestamp, uint64 blockNumber, uint64 leafCount) {
        uint256 packed = _anchors[root];
        return (uint64(packed), uint64(packed >> 64), uint64(packed >> 128));
    }

    // --------------------------------------------------------------- revocation

    /**
     * @notice Revokes the caller's document `leaf` with `reason` (1 to 255). The caller must
     * be a registered, active issuer. Final: a revocation can never be undone.
     */
    function revoke(bytes32 leaf, uint8 reason) external {
        _requireActiveIssuer(msg.sender);
        if (reason == 0) revert ZeroReason();
        mapping(bytes32 => uint256) storage revocations = _revocations[msg.sender];
        if (revocations[leaf] != 0) revert AlreadyRevoked(leaf);
        revocations[leaf] = _revocationRecord(reason);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = leaf;
        emit Revoked(msg.sender, reason, leaves);
    }

    /// @notice Revokes many of the caller's documents in one transaction; see {revoke}.
    /// Reverts as a whole if any leaf is already revoked.
    function revokeMany(bytes32[] calldata leaves, uint8 reason) external {
        _requireActiveIssuer(msg.sender);
        _revokeAll(msg.sender, leaves, reason);
    }

    /**
     * @notice Revokes documents of `issuer` on its behalf. Anchorer only.
     *
     * NOTE: Works for a deactivated issuer too, so that a retired issuer's documents can
     * still be withdrawn; `issuer` must have been registered.
     */
    function revokeFor(address issuer, bytes32[] calldata leaves, uint8 reason) external onlyRole(ANCHORER_ROLE) {
        if (_issuers[issuer].status == IssuerStatus.Unknown) revert UnknownIssuer(issuer);
        _revokeAll(issuer, leaves, reason);
    }

    /// @notice When and why `issuer` revoked `leaf`; zeros if it did not.
    function revocationOf(address issuer, bytes32 leaf) public view returns (uint64 revokedAt, uint8 reason) {
        uint256 packed = _revocations[issuer][leaf];
        return (uint64(packed), uint8(packed >> 64));
    }

    // ------------------------------------------------------------- verification

    /// @notice The OpenZeppelin `StandardMerkleTree` leaf of `(digest, issuer, metadataDigest)`.
    function leafOf(bytes32 digest, address issuer, bytes32 metadataDigest) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(digest, issuer, metadataDigest))));
    }

    /**
     * @notice Answers a whole verification in one call: computes the leaf of
     * `(digest, issuer, metadataDigest)` and the root `proof` leads to, and returns what
     * is recorded for that root, that leaf and that issuer, plus the current block number
     * (confirmations = `currentBlock - anchoredBlock + 1`).
     *
     * WARNING: This reports facts, not a verdict. The document is anchored only if
     * `anchoredAt != 0`; it is revoked if `revokedAt != 0`. A wrong proof yields a root that
     * was never anchored (all anchor fields zero), which is indistinguishable from a
     * document that is not anchored yet; the caller compares `root` with its receipt.
     */
    function check(
        bytes32 digest,
        address issuer,
        bytes32 metadataDigest,
        bytes32[] calldata proof
    ) external view returns (Verification memory v) {
        v.leaf = leafOf(digest, issuer, metadataDigest);
        v.root = MerkleProof.processProofCalldata(proof, v.leaf);
        (v.anchoredAt, v.anchoredBlock, v.leafCount) = anchorOf(v.root);
        (v.revokedAt, v.revocationReason) = revocationOf(issuer, v.leaf);
        v.currentBlock = uint64(block.number);
        (v.issuerName, v.issuerRegisteredAt, v.issuerDeactivatedAt) = issuerOf(issuer);
    }

    // ------------------------------------------------------------------ private

    function _requireActiveIssuer(address issuer) private view {
        IssuerStatus status = _issuers[issuer].status;
        if (status != IssuerStatus.Active) {
            if (status == IssuerStatus.Unknown) revert UnknownIssuer(issuer);
            revert InactiveIssuer(issuer);
        }
    }

    function _revertLeafCount(uint256 leafCount) private pure {
        if (leafCount == 0) revert ZeroLeafCount();
        revert LeafCountTooLarge(leafCount);
    }

    function _revocationRecord(uint8 reason) private view returns (uint256) {
        return uint256(uint64(block.timestamp)) | (uint256(reason) << 64);
    }

    /// @dev Per leaf, the cold SLOAD + SSTORE (22,100 gas; reading first costs nothing extra
    /// since it warms the slot), the calldata (~512) and the event data (~264) dwarf the rest,
    /// so the loop is kept to one keccak and a few stack operations.
    function _revokeAll(address issuer, bytes32[] calldata leaves, uint8 reason) private {
        if (reason == 0) revert ZeroReason();
        uint256 n = leaves.length;
        if (n == 0) revert NoLeaves();
        uint256 record = _revocationRecord(reason);
        bytes4 alreadyRevoked = AlreadyRevoked.selector;
        assembly ("memory-safe") {
            // _revocations[issuer][leaf] = keccak256(leaf . keccak256(issuer . slot)):
            // the inner mapping's slot is hashed once, then one hash per leaf.
            mstore(0x00, issuer)
            mstore(0x20, _revocations.slot)
            mstore(0x20, keccak256(0x00, 0x40))
            let end := add(leaves.offset, shl(5, n))
            for { let p := leaves.offset } lt(p, end) { p := add(p, 0x20) } {
                let leaf := calldataload(p)
                mstore(0x00, leaf)
                let slot := keccak256(0x00, 0x40)
                if sload(slot) {
                    mstore(0x00, alreadyRevoked)
                    mstore(0x04, leaf)
                    revert(0x00, 0x24)
                }
                sstore(slot, record)
            }
        }
        emit Revoked(issuer, reason, leaves);
    }
}
