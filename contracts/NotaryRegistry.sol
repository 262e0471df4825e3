// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {NoncesKeyed} from "@openzeppelin/contracts/utils/NoncesKeyed.sol";
import {TypedData} from "./utils/TypedData.sol";

/**
 * @title NotaryRegistry (version 2: issuer signing keys)
 * @notice Anchors Merkle roots of batches of issued documents, keeps a registry of issuers
 * and of their signing keys, and records revocations, so that anyone can verify a document
 * with one `eth_call` to {checkSigned} (or {check}, for documents the issuer did not sign).
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
 * - `ANCHORER_ROLE` (the service's hot wallet) anchors roots and may revoke on behalf of an
 *   issuer that does not sign;
 * - a registered issuer's address is its root key: while active it revokes its own
 *   documents and adds signing keys; it removes signing keys even once deactivated.
 *
 * Signing keys: an issuer authorises secp256k1 keys (Ethereum addresses) with {addSigner},
 * or gaslessly with {addSignerBySig} relayed by anyone. From the block of its first key on
 * ({signingSinceOf}), permanently, the issuer is a signing issuer: its documents anchored
 * in that block or later are genuine only with an EIP-712 signature of a `Submission` by a
 * key that was authorised in the block that anchored them, and only that issuer's keys can
 * revoke them ({revokeBySig}, or {revoke}/{revokeMany} from the root key). The anchorer
 * relays and pays, but can neither make such a document genuine nor revoke it.
 *
 * EIP-712 domain: name "NotaryRegistry", version "2", the chain id and this contract
 * ({eip712Domain}). The typed structs:
 * - `Submission(address issuer,bytes32 leavesRoot)`: the issuer's signature over one
 *   submission of documents; `leavesRoot` is the root of a sorted-pair Merkle tree over the
 *   submission's leaves (OpenZeppelin `StandardMerkleTree` of the same values as the batch;
 *   for one document, the leaf itself);
 * - `Revocation(address issuer,bytes32[] leaves,uint8 reason,uint256 nonce,uint256 deadline)`;
 * - `AddSigner(address issuer,address key,uint256 nonce,uint256 deadline)`;
 * - `RemoveSigner(address issuer,address key,uint256 nonce,uint256 deadline)`.
 * A relayed signature is used once: its `nonce` is OpenZeppelin's keyed nonce of the
 * issuer, the top 192 bits naming a sequence and the low 64 bits the next number in it
 * ({nonces}`(issuer, sequence)`; sequence 0 is {nonces}`(issuer)`), and it expires after
 * `deadline` (a Unix time). Keys that sign at the same time (two offices) should use
 * sequences of their own, e.g. their own address, so that neither spends the other's nonce.
 *
 * NOTE: Every record here is write-once. A root is anchored once and its record never
 * changes; a revocation is final and can never be undone; a deactivated issuer stays
 * deactivated; a signing key is added once and removed once, and a removed key can never be
 * added again (see {addSigner}); an issuer that signs never stops needing signatures.
 * Issue a new document instead of "un-revoking" one, and a new key instead of reviving one.
 *
 * WARNING: For an issuer without signing keys, the contract cannot know who really issued
 * a document: the issuer address is part of the leaf, and the anchorer vouches, by
 * anchoring, that every leaf's issuer authenticated to it. Verifiers must say so in other
 * words than for a signed document. Revocations are keyed by `(issuer, leaf)`, so an issuer
 * can only ever write into its own namespace: a different issuer address yields a
 * different leaf.
 */
contract NotaryRegistry is AccessControl, NoncesKeyed, IERC5267 {
    /// @notice Role allowed to {anchor} roots and to {revokeFor} on a non-signing issuer's behalf.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @notice Role allowed to {registerIssuer} and {deactivateIssuer}.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    string private constant _DOMAIN_NAME = "NotaryRegistry";
    string private constant _DOMAIN_VERSION = "2";
    bytes32 private constant _DOMAIN_NAME_HASH = keccak256(bytes(_DOMAIN_NAME));
    bytes32 private constant _DOMAIN_VERSION_HASH = keccak256(bytes(_DOMAIN_VERSION));
    bytes32 private constant _SUBMISSION_TYPEHASH = keccak256("Submission(address issuer,bytes32 leavesRoot)");
    bytes32 private constant _REVOCATION_TYPEHASH =
        keccak256("Revocation(address issuer,bytes32[] leaves,uint8 reason,uint256 nonce,uint256 deadline)");
    bytes32 private constant _ADD_SIGNER_TYPEHASH =
        keccak256("AddSigner(address issuer,address key,uint256 nonce,uint256 deadline)");
    bytes32 private constant _REMOVE_SIGNER_TYPEHASH =
        keccak256("RemoveSigner(address issuer,address key,uint256 nonce,uint256 deadline)");

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

    /**
     * @notice What the chain says about a document's issuer signature, as returned by
     * {checkSigned} beside the {Verification}.
     * @param signer the key that signed `Submission(issuer, leavesRoot)`; zero if the
     * signature is malformed (wrong length, high `s`, no recoverable key)
     * @param inSubmission the submission path leads from the document's leaf to `leavesRoot`
     * @param signerAddedAt when `signer` was added as a key of the issuer (0: never)
     * @param signerAddedBlock in which block it was added
     * @param signerRemovedAt when it was removed (0: it was not)
     * @param signerRemovedBlock in which block it was removed
     * @param signingSince the block of the issuer's first key (0: the issuer does not sign)
     * @param signatureRequired the issuer signs and the document's root was anchored in
     * block `signingSince` or later (or is not anchored yet)
     * @param authorised `inSubmission`, the root is anchored, and `signer` was a key of the
     * issuer in the anchoring block: added in it or before, not removed in it or before
     */
    struct SignatureCheck {
        address signer;
        bool inSubmission;
        uint64 signerAddedAt;
        uint64 signerAddedBlock;
        uint64 signerRemovedAt;
        uint64 signerRemovedBlock;
        uint64 signingSince;
        bool signatureRequired;
        bool authorised;
    }

    /// @notice A signing key of an issuer and its history, as listed by {signersOf}.
    struct Signer {
        address key;
        uint64 addedAt;
        uint64 addedBlock;
        uint64 removedAt;
        uint64 removedBlock;
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
        uint64 signingSince; // block of the first signing key; 0 while the issuer does not sign
        string name;
    }

    /// @dev root => timestamp (bits 0-63) | block number (64-127) | leaf count (128-191).
    /// Never zero once written, because the leaf count is at least 1.
    mapping(bytes32 root => uint256) private _anchors;

    /// @dev issuer => leaf => revokedAt (bits 0-63) | reason (64-71).
    /// Never zero once written, because the reason is at least 1.
    mapping(address issuer => mapping(bytes32 leaf => uint256)) private _revocations;

    mapping(address issuer => Issuer) private _issuers;

    /// @dev issuer => key => addedAt (bits 0-63) | addedBlock (64-127) | removedAt (128-191)
    /// | removedBlock (192-255). Never zero once written, and removedBlock never zero once
    /// removed, because no transaction runs in block 0.
    mapping(address issuer => mapping(address key => uint256)) private _signers;

    /// @dev issuer => its keys in the order they were added (for {signersOf}).
    mapping(address issuer => address[]) private _signerKeys;

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
     * {revoke}, {revokeMany}, {revokeFor} and {revokeBySig} alike.
     *
     * NOTE: Carrying the leaves costs 8 gas per byte, about 264 gas per leaf (23,272 instead
     * of about 23,006 gas per leaf at 100 leaves); it keeps the log self-contained, so
     * indexers need no calldata decoding, which also works when the call comes through a
     * multisig or another contract.
     */
    event Revoked(address indexed issuer, uint8 reason, bytes32[] leaves);

    /// @notice The revocation just logged by {Revoked} was signed by `signer`, a key of
    /// `issuer` or its root key ({revokeBySig}).
    event RevocationSigned(address indexed issuer, address indexed signer);

    /// @notice `issuer` authorised the signing key `key`; the time and block are the log's.
    event SignerAdded(address indexed issuer, address indexed key);

    /// @notice `issuer` removed the signing key `key`; the time and block are the log's.
    event SignerRemoved(address indexed issuer, address indexed key);

    /// @notice An address argument was the zero address.
    error ZeroAddress();
    /// @notice An issuer was registered with an empty display name.
    error EmptyIssuerName();
    /// @notice `issuer` is already registered (active or deactivated).
    error IssuerAlreadyRegistered(address issuer);
    /// @notice `issuer` was never registered.
    error UnknownIssuer(address issuer);
    /// @notice `issuer` is deactivated and cannot revoke or add keys by itself.
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
    /// @notice `issuer` signs its documents: this needs its signature ({checkSigned},
    /// {revokeBySig}), the anchorer's word is not enough.
    error SignatureRequired(address issuer);
    /// @notice `key` was already added for `issuer` (a removed key cannot be added again).
    error SignerAlreadyAdded(address issuer, address key);
    /// @notice `key` was never added for `issuer`.
    error UnknownSigner(address issuer, address key);
    /// @notice `key` of `issuer` is already removed.
    error SignerAlreadyRemoved(address issuer, address key);
    /// @notice `key` holds `ANCHORER_ROLE`: the anchorer must never sign for an issuer.
    error AnchorerAsSigner(address key);
    /// @notice A relayed signature's deadline has passed.
    error ExpiredSignature(uint256 deadline);
    /// @notice A relayed signature is malformed: not 65 bytes, high `s`, or no key recovers.
    error InvalidSignature();
    /// @notice `signer` may not sign this for `issuer`.
    error UnauthorisedSigner(address issuer, address signer);

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
     * @notice Deactivates `issuer`: it can no longer revoke by itself or add keys. Admin
     * only. Final.
     *
     * NOTE: Documents the issuer notarised stay anchored; whether they are still trusted is
     * the verifier's policy ({check} returns the deactivation time). An anchorer can still
     * revoke them through {revokeFor} if the issuer never signed; a signing issuer's keys
     * still can through {revokeBySig}.
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

    // ------------------------------------------------------------- signing keys

    /**
     * @notice Authorises `key` to sign for the caller, a registered and active issuer, from
     * this block on. The first key makes the caller a signing issuer, permanently.
     *
     * NOTE: A key is added once and removed once: a removed key can never be added again.
     * Its record is then a single interval [added, removed), so whether it was authorised
     * when a document was anchored has one answer forever, read in constant gas; and a key
     * removed because it was lost or stolen cannot be revived by mistake, or by whoever
     * holds the root key after a dispute, to make what a thief signed genuine. A new key
     * costs nothing: generate one. An anchorer's address cannot be added (a mistake that
     * would let the hot wallet make documents genuine alone); keep anchorers and keys apart
     * when granting `ANCHORER_ROLE` too.
     */
    function addSigner(address key) external {
        _addSigner(msg.sender, key);
    }

    /// @notice Ends `key`'s authority for the caller from this block on: documents anchored
    /// in this block or later no longer count as signed by it; older ones still do.
    function removeSigner(address key) external {
        _removeSigner(msg.sender, key);
    }

    /// @notice {addSigner} for `issuer`, relayed by anyone, with the EIP-712 signature of
    /// `AddSigner(issuer, key, nonce, deadline)` by the issuer's root key.
    function addSignerBySig(
        address issuer,
        address key,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _requireRootSignature(
            issuer,
            keccak256(abi.encode(_ADD_SIGNER_TYPEHASH, issuer, key, nonce, deadline)),
            deadline,
            signature
        );
        _useCheckedNonce(issuer, nonce);
        _addSigner(issuer, key);
    }

    /// @notice {removeSigner} for `issuer`, relayed by anyone, with the EIP-712 signature of
    /// `RemoveSigner(issuer, key, nonce, deadline)` by the issuer's root key.
    function removeSignerBySig(
        address issuer,
        address key,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _requireRootSignature(
            issuer,
            keccak256(abi.encode(_REMOVE_SIGNER_TYPEHASH, issuer, key, nonce, deadline)),
            deadline,
            signature
        );
        _useCheckedNonce(issuer, nonce);
        _removeSigner(issuer, key);
    }

    /// @notice When and in which blocks `key` was added and removed as a key of `issuer`;
    /// zeros if it never was (removed* zero while it is still authorised).
    function signerOf(
        address issuer,
        address key
    ) public view returns (uint64 addedAt, uint64 addedBlock, uint64 removedAt, uint64 removedBlock) {
        uint256 packed = _signers[issuer][key];
        return (uint64(packed), uint64(packed >> 64), uint64(packed >> 128), uint64(packed >> 192));
    }

    /// @notice Every key `issuer` ever added, in order, with its history.
    function signersOf(address issuer) external view returns (Signer[] memory signers) {
        address[] storage keys = _signerKeys[issuer];
        signers = new Signer[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) {
            Signer memory s = signers[i];
            s.key = keys[i];
            (s.addedAt, s.addedBlock, s.removedAt, s.removedBlock) = signerOf(issuer, s.key);
        }
    }

    /// @notice The block from which `issuer` signs its documents (that of its first key); 0
    /// if it never added a key.
    function signingSinceOf(address issuer) external view returns (uint64 blockNumber) {
        return _issuers[issuer].signingSince;
    }

    /// @inheritdoc IERC5267
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        return (hex"0f", _DOMAIN_NAME, _DOMAIN_VERSION, block.chainid, address(this), bytes32(0), new uint256[](0));
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
     * be a registered, active issuer (its root key, for a signing issuer). Final: a
     * revocation can never be undone.
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
     * @notice Revokes documents of `issuer` on its behalf. Anchorer only, and only for an
     * issuer that does not sign: a signing issuer's documents are revoked by its keys
     * ({revokeBySig}), never by the anchorer alone.
     *
     * NOTE: Works for a deactivated issuer too, so that a retired issuer's documents can
     * still be withdrawn; `issuer` must have been registered.
     */
    function revokeFor(address issuer, bytes32[] calldata leaves, uint8 reason) external onlyRole(ANCHORER_ROLE) {
        Issuer storage rec = _issuers[issuer];
        if (rec.status == IssuerStatus.Unknown) revert UnknownIssuer(issuer);
        if (rec.signingSince != 0) revert SignatureRequired(issuer);
        _revokeAll(issuer, leaves, reason);
    }

    /**
     * @notice Revokes documents of `issuer`, relayed by anyone (the service pays), with the
     * EIP-712 signature of `Revocation(issuer, leaves, reason, nonce, deadline)` by a key
     * of `issuer` authorised now, or by its root key. Reverts as a whole if any leaf is
     * already revoked.
     *
     * NOTE: Works for a deactivated issuer too (as {revokeFor} does for one that does not
     * sign), so that its documents can still be withdrawn; only by its own keys.
     */
    function revokeBySig(
        address issuer,
        bytes32[] calldata leaves,
        uint8 reason,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        if (_issuers[issuer].status == IssuerStatus.Unknown) revert UnknownIssuer(issuer);
        // EIP-712 encodes bytes32[] as the hash of its concatenated elements.
        bytes32 structHash = keccak256(
            abi.encode(_REVOCATION_TYPEHASH, issuer, keccak256(abi.encodePacked(leaves)), reason, nonce, deadline)
        );
        address signer = _recoverRelayed(structHash, deadline, signature);
        if (signer != issuer) {
            uint256 packed = _signers[issuer][signer];
            // Authorised now: added (never in block 0) and not removed.
            if (packed == 0 || packed >> 192 != 0) revert UnauthorisedSigner(issuer, signer);
        }
        _useCheckedNonce(issuer, nonce);
        _revokeAll(issuer, leaves, reason);
        emit RevocationSigned(issuer, signer);
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
     * @notice Answers a whole verification in one call, for a document its issuer did not
     * sign: computes the leaf of `(digest, issuer, metadataDigest)` and the root `proof`
     * leads to, and returns what is recorded for that root, that leaf and that issuer, plus
     * the current block number (confirmations = `currentBlock - anchoredBlock + 1`).
     *
     * Reverts with {SignatureRequired} when the issuer signs and the root was anchored in
     * block {signingSinceOf} or later: such a document is genuine only with its issuer's
     * signature, which only {checkSigned} checks, so a caller of this function (e.g.
     * `cast call ... check`) is never shown it as anchored.
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
        uint64 signingSince;
        (v, signingSince) = _verification(digest, issuer, metadataDigest, proof);
        if (signingSince != 0 && v.anchoredAt != 0 && v.anchoredBlock >= signingSince) {
            revert SignatureRequired(issuer);
        }
    }

    /**
     * @notice {check} and the issuer's signature in one call: `v` as {check} reports it
     * (without reverting), and in `s` who signed `Submission(issuer, leavesRoot)` with
     * `signature`, whether `submissionProof` leads from the document's leaf to
     * `leavesRoot`, that key's history and whether it was authorised in the anchoring block.
     * For a document its issuer did not sign, pass an empty signature and path.
     *
     * The verdict, exactly (after comparing `v.root` with the receipt's root, as for {check}):
     * 1. `v.anchoredAt == 0`: not anchored (yet); the chain proves nothing.
     * 2. `v.revokedAt != 0`: revoked.
     * 3. `s.signatureRequired`: genuine, signed by `s.signer` with its issuer's key, if and
     *    only if `s.authorised`; otherwise NOT genuine (signature missing or wrong, document
     *    not in the signed submission, or key not authorised in block `v.anchoredBlock`).
     * 4. otherwise: genuine on the anchorer's word only (the issuer did not sign then);
     *    `s.authorised` is then always false, since a key counts only from a block at or
     *    after `signingSince`.
     * Whether a deactivated issuer's documents are still trusted is the verifier's policy.
     *
     * NOTE: The signed submission tree hashes sorted pairs of 32-byte nodes, like the batch
     * tree, and its leaves are the double-hashed standard leaves computed here from the
     * values. A leaf is keccak256 of a 32-byte hash and an inner node keccak256 of 64 bytes,
     * so no inner node can be passed off as a document (a second preimage of keccak256).
     */
    function checkSigned(
        bytes32 digest,
        address issuer,
        bytes32 metadataDigest,
        bytes32[] calldata proof,
        bytes32 leavesRoot,
        bytes32[] calldata submissionProof,
        bytes calldata signature
    ) external view returns (Verification memory v, SignatureCheck memory s) {
        (v, s.signingSince) = _verification(digest, issuer, metadataDigest, proof);
        uint64 anchoredBlock = v.anchoredBlock;
        s.signatureRequired = s.signingSince != 0 && (v.anchoredAt == 0 || anchoredBlock >= s.signingSince);
        s.inSubmission = MerkleProof.processProofCalldata(submissionProof, v.leaf) == leavesRoot;
        bytes32 structHash = keccak256(abi.encode(_SUBMISSION_TYPEHASH, issuer, leavesRoot));
        (s.signer, , ) = ECDSA.tryRecoverCalldata(_hashTypedData(structHash), signature);
        if (s.signer == address(0)) return (v, s);
        (s.signerAddedAt, s.signerAddedBlock, s.signerRemovedAt, s.signerRemovedBlock) = signerOf(issuer, s.signer);
        s.authorised =
            s.inSubmission &&
            v.anchoredAt != 0 &&
            s.signerAddedBlock != 0 &&
            s.signerAddedBlock <= anchoredBlock &&
            (s.signerRemovedBlock == 0 || anchoredBlock < s.signerRemovedBlock);
    }

    // ------------------------------------------------------------------ private

    /// @dev The EIP-712 digest of a struct of this registry's domain.
    function _hashTypedData(bytes32 structHash) private view returns (bytes32) {
        return TypedData.digest(TypedData.domainSeparator(_DOMAIN_NAME_HASH, _DOMAIN_VERSION_HASH), structHash);
    }

    function _verification(
        bytes32 digest,
        address issuer,
        bytes32 metadataDigest,
        bytes32[] calldata proof
    ) private view returns (Verification memory v, uint64 signingSince) {
        v.leaf = leafOf(digest, issuer, metadataDigest);
        v.root = MerkleProof.processProofCalldata(proof, v.leaf);
        (v.anchoredAt, v.anchoredBlock, v.leafCount) = anchorOf(v.root);
        (v.revokedAt, v.revocationReason) = revocationOf(issuer, v.leaf);
        v.currentBlock = uint64(block.number);
        Issuer storage rec = _issuers[issuer];
        (v.issuerName, v.issuerRegisteredAt, v.issuerDeactivatedAt) = (rec.name, rec.registeredAt, rec.deactivatedAt);
        signingSince = rec.signingSince;
    }

    function _addSigner(address issuer, address key) private {
        _requireActiveIssuer(issuer);
        if (key == address(0)) revert ZeroAddress();
        if (hasRole(ANCHORER_ROLE, key)) revert AnchorerAsSigner(key);
        mapping(address => uint256) storage keys = _signers[issuer];
        if (keys[key] != 0) revert SignerAlreadyAdded(issuer, key);
        keys[key] = uint256(uint64(block.timestamp)) | (uint256(uint64(block.number)) << 64);
        _signerKeys[issuer].push(key);
        Issuer storage rec = _issuers[issuer];
        if (rec.signingSince == 0) rec.signingSince = uint64(block.number);
        emit SignerAdded(issuer, key);
    }

    function _removeSigner(address issuer, address key) private {
        if (_issuers[issuer].status == IssuerStatus.Unknown) revert UnknownIssuer(issuer);
        mapping(address => uint256) storage keys = _signers[issuer];
        uint256 packed = keys[key];
        if (packed == 0) revert UnknownSigner(issuer, key);
        if (packed >> 192 != 0) revert SignerAlreadyRemoved(issuer, key);
        keys[key] = packed | (uint256(uint64(block.timestamp)) << 128) | (uint256(uint64(block.number)) << 192);
        emit SignerRemoved(issuer, key);
    }

    /// @dev Reverts unless `signature` is the root key's (the issuer address itself).
    function _requireRootSignature(
        address issuer,
        bytes32 structHash,
        uint256 deadline,
        bytes calldata signature
    ) private view {
        address signer = _recoverRelayed(structHash, deadline, signature);
        if (signer != issuer) revert UnauthorisedSigner(issuer, signer);
    }

    /// @dev The signer of a relayed struct, after checking the deadline; never zero.
    function _recoverRelayed(
        bytes32 structHash,
        uint256 deadline,
        bytes calldata signature
    ) private view returns (address signer) {
        // A validator's leeway of seconds on a deadline of minutes or days does not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > deadline) revert ExpiredSignature(deadline);
        ECDSA.RecoverError err;
        (signer, err, ) = ECDSA.tryRecoverCalldata(_hashTypedData(structHash), signature);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature();
    }

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
