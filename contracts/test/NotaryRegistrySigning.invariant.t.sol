// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {NotaryRegistry} from "../NotaryRegistry.sol";
import {MerkleTreeBuilder} from "./MerkleTreeBuilder.sol";
import {SigningKit} from "./SigningKit.sol";

/// @dev A document as a verifier receives it: values, batch proof, and the signed submission.
struct Doc {
    bytes32 digest;
    bytes32 meta;
    bytes32[] proof;
    bytes32 leavesRoot;
    bytes32[] submissionProof;
    bytes signature;
    uint256 keyIndex; // the pool key that signed it (signed documents only)
    uint256 anchoredBlock;
}

/**
 * @dev The service's hot wallet (this handler holds ANCHORER_ROLE, and ANCHORER_PK is its
 * key) against one signing issuer: the issuer adds and removes keys from a pool (directly
 * and relayed) and anchors signed submissions through the hot wallet; the hot wallet also
 * anchors forged documents in the issuer's name with every kind of bad signature it can
 * make, and tries to revoke the issuer's documents on its own. Ghost state records, from
 * the handler's side, in which block each key was added and removed.
 */
contract SigningHandler is SigningKit {
    uint256 internal constant ROOT_PK = 0x1551;
    uint256 internal constant OTHER_ROOT_PK = 0x2662;
    uint256 internal constant OTHER_KEY_PK = 0x5262;
    uint256 internal constant ANCHORER_PK = 0xA7C4;
    uint256 internal constant POOL = 5;

    NotaryRegistry internal immutable registry;
    address public immutable issuer;

    mapping(uint256 keyIndex => uint256) public addedBlock;
    mapping(uint256 keyIndex => uint256) public removedBlock;

    Doc[] internal _signed;
    Doc[] internal _forged;
    mapping(bytes32 leaf => bool) public revokedBySignature;
    uint256 public hotWalletRevocations; // of the issuer's documents, accepted without its key
    uint256 internal _nonce; // distinct digests

    constructor(NotaryRegistry registry_, address admin) {
        registry = registry_;
        issuer = vm.addr(ROOT_PK);
        vm.startPrank(admin);
        registry_.registerIssuer(issuer, "Signing issuer");
        registry_.registerIssuer(vm.addr(OTHER_ROOT_PK), "Other issuer");
        vm.stopPrank();
        vm.prank(vm.addr(OTHER_ROOT_PK));
        registry_.addSigner(vm.addr(OTHER_KEY_PK));
        vm.prank(issuer);
        registry_.addSigner(vm.addr(_keyPk(0)));
        addedBlock[0] = block.number;
    }

    // ---------------------------------------------------------------- getters

    function signedCount() external view returns (uint256) {
        return _signed.length;
    }

    function forgedCount() external view returns (uint256) {
        return _forged.length;
    }

    function signedAt(uint256 i) external view returns (Doc memory) {
        return _signed[i];
    }

    function forgedAt(uint256 i) external view returns (Doc memory) {
        return _forged[i];
    }

    // ---------------------------------------------------------------- actions

    function passTime(uint32 secondsLater, uint8 blocksLater) external {
        vm.warp(block.timestamp + secondsLater);
        vm.roll(block.number + blocksLater);
    }

    /// @dev The issuer adds pool key `i`, itself or relayed with its root key's signature.
    function addKey(uint8 i, bool relayed) external {
        uint256 k = i % POOL;
        address key = vm.addr(_keyPk(k));
        bool ok;
        if (relayed) {
            uint256 nonce = registry.nonces(issuer);
            bytes memory sig = signAddSigner(ROOT_PK, address(registry), issuer, key, nonce, block.timestamp);
            try registry.addSignerBySig(issuer, key, nonce, block.timestamp, sig) {
                ok = true;
            } catch {}
        } else {
            vm.prank(issuer);
            try registry.addSigner(key) {
                ok = true;
            } catch {}
        }
        if (ok) addedBlock[k] = block.number;
    }

    /// @dev The issuer removes pool key `i` (a quarter of the calls, so that keys live a while).
    function removeKey(uint8 i, bool relayed, uint8 dice) external {
        if (dice % 4 != 0) return;
        uint256 k = i % POOL;
        address key = vm.addr(_keyPk(k));
        bool ok;
        if (relayed) {
            uint256 nonce = registry.nonces(issuer);
            bytes memory sig = signRemoveSigner(ROOT_PK, address(registry), issuer, key, nonce, block.timestamp);
            try registry.removeSignerBySig(issuer, key, nonce, block.timestamp, sig) {
                ok = true;
            } catch {}
        } else {
            vm.prank(issuer);
            try registry.removeSigner(key) {
                ok = true;
            } catch {}
        }
        if (ok) removedBlock[k] = block.number;
    }

    /// @dev A submission of 1-4 documents signed by pool key `i` (authorised or not), anchored
    /// by the hot wallet in a batch with one other leaf.
    function anchorSigned(uint8 i, uint8 size) external {
        uint256 k = i % POOL;
        uint256 n = 1 + (size % 4);
        Doc memory d;
        bytes32[] memory subLeaves = new bytes32[](n);
        bytes32[] memory digests = new bytes32[](n);
        for (uint256 j = 0; j < n; j++) {
            digests[j] = keccak256(abi.encode("signed", _nonce++));
            subLeaves[j] = registry.leafOf(digests[j], issuer, 0);
        }
        bytes32[] memory subTree = MerkleTreeBuilder.build(subLeaves);
        d.leavesRoot = subTree[0];
        d.signature = signSubmission(_keyPk(k), address(registry), issuer, d.leavesRoot);
        d.keyIndex = k;
        d.anchoredBlock = block.number;
        bytes32[] memory batch = _anchorWith(subLeaves);
        for (uint256 j = 0; j < n; j++) {
            d.digest = digests[j];
            d.proof = MerkleTreeBuilder.proof(batch, subLeaves[j]);
            d.submissionProof = MerkleTreeBuilder.proof(subTree, subLeaves[j]);
            _signed.push(d);
        }
    }

    /// @dev The hot wallet anchors a forged document in the issuer's name, with `how` choosing
    /// its "signature": none, random bytes, the hot wallet's own key, another issuer's key,
    /// or a real submission signature of the issuer replayed (with or without its path).
    function anchorForged(uint8 how, bytes32 noise) external {
        Doc memory d;
        d.digest = keccak256(abi.encode("forged", _nonce++));
        bytes32 leaf = registry.leafOf(d.digest, issuer, 0);
        d.leavesRoot = leaf;
        uint256 kind = how % 6;
        if (kind == 1) {
            d.signature = abi.encodePacked(noise, keccak256(abi.encode(noise)), uint8(27 + (uint8(noise[0]) % 2)));
        } else if (kind == 2) {
            d.signature = signSubmission(ANCHORER_PK, address(registry), issuer, leaf);
        } else if (kind == 3) {
            d.signature = signSubmission(OTHER_KEY_PK, address(registry), issuer, leaf);
        } else if (kind >= 4 && _signed.length > 0) {
            Doc storage real = _signed[uint256(noise) % _signed.length];
            d.leavesRoot = real.leavesRoot;
            d.signature = real.signature;
            if (kind == 5) d.submissionProof = real.submissionProof;
        }
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = leaf;
        bytes32[] memory batch = _anchorWith(leaves);
        d.proof = MerkleTreeBuilder.proof(batch, leaf);
        d.anchoredBlock = block.number;
        _forged.push(d);
    }

    /// @dev The hot wallet tries to revoke one of the issuer's documents on its own: through
    /// {revokeFor}, or {revokeBySig} with its own key's signature.
    function revokeAsHotWallet(uint256 pick, bool bySig) external {
        bytes32 leaf = _pickLeaf(pick);
        if (leaf == 0) return;
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = leaf;
        if (bySig) {
            uint256 nonce = registry.nonces(issuer);
            bytes memory sig = signRevocation(
                ANCHORER_PK,
                address(registry),
                issuer,
                leaves,
                1,
                nonce,
                block.timestamp
            );
            try registry.revokeBySig(issuer, leaves, 1, nonce, block.timestamp, sig) {
                hotWalletRevocations++;
            } catch {}
        } else {
            try registry.revokeFor(issuer, leaves, 1) {
                hotWalletRevocations++;
            } catch {}
        }
    }

    /// @dev The issuer revokes one of its documents with pool key `i`, relayed by the hot wallet.
    function revokeSigned(uint256 pick, uint8 i) external {
        bytes32 leaf = _pickLeaf(pick);
        if (leaf == 0) return;
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = leaf;
        uint256 nonce = registry.nonces(issuer);
        bytes memory sig = signRevocation(
            _keyPk(i % POOL),
            address(registry),
            issuer,
            leaves,
            2,
            nonce,
            block.timestamp
        );
        try registry.revokeBySig(issuer, leaves, 2, nonce, block.timestamp, sig) {
            revokedBySignature[leaf] = true;
        } catch {}
    }

    // ---------------------------------------------------------------- private

    function _keyPk(uint256 k) internal pure returns (uint256) {
        return 0x5161 + k;
    }

    /// @dev Anchors `leaves` with one unrelated leaf of another issuer; returns the tree.
    function _anchorWith(bytes32[] memory leaves) internal returns (bytes32[] memory tree) {
        bytes32[] memory all = new bytes32[](leaves.length + 1);
        for (uint256 j = 0; j < leaves.length; j++) all[j] = leaves[j];
        all[leaves.length] = keccak256(abi.encode("other", _nonce++));
        tree = MerkleTreeBuilder.build(all);
        registry.anchor(tree[0], all.length);
    }

    function _pickLeaf(uint256 pick) internal view returns (bytes32) {
        uint256 total = _signed.length + _forged.length;
        if (total == 0) return 0;
        uint256 j = pick % total;
        Doc storage d = j < _signed.length ? _signed[j] : _forged[j - _signed.length];
        return registry.leafOf(d.digest, issuer, d.meta);
    }
}

contract NotaryRegistrySigningInvariantTest is SigningKit {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    NotaryRegistry internal registry;
    SigningHandler internal handler;

    function setUp() public {
        vm.warp(1_750_000_000);
        vm.roll(1_000);
        registry = new NotaryRegistry(address(this));
        handler = new SigningHandler(registry, address(this));
        registry.grantRole(registry.ANCHORER_ROLE(), address(handler));
    }

    /// @dev Read by forge (forge-std's StdInvariant normally provides it): fuzz only the handler.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev Read by forge likewise: only the handler's actions, not its getters.
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](7);
        selectors[0] = SigningHandler.passTime.selector;
        selectors[1] = SigningHandler.addKey.selector;
        selectors[2] = SigningHandler.removeKey.selector;
        selectors[3] = SigningHandler.anchorSigned.selector;
        selectors[4] = SigningHandler.anchorForged.selector;
        selectors[5] = SigningHandler.revokeAsHotWallet.selector;
        selectors[6] = SigningHandler.revokeSigned.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), selectors);
    }

    /// @dev Guards against vacuous runs: every run must have anchored signed and forged documents.
    function afterInvariant() public view {
        assertTrue(handler.signedCount() > 0, "no signed document in this run");
        assertTrue(handler.forgedCount() > 0, "no forged document in this run");
    }

    /// @notice No valid signature of an authorised key, no authorised signer: whatever the hot
    /// wallet anchors in the issuer's name is never reported as signed by it.
    function invariant_ForgedDocumentsAreNeverAuthorised() public view {
        uint256 n = handler.forgedCount();
        for (uint256 i = 0; i < n; i++) {
            (, NotaryRegistry.SignatureCheck memory s) = _check(handler.forgedAt(i));
            assertTrue(!s.authorised, "a forged document is reported as signed");
            assertTrue(s.signatureRequired, "a forged document needs no signature");
        }
    }

    /// @notice A key removed in block B never authorises a document anchored in B or later,
    /// and one anchored while the key was authorised stays authorised: `authorised` is
    /// exactly "added at or before the anchoring block, not removed at or before it".
    function invariant_KeysAuthoriseExactlyTheirInterval() public view {
        uint256 n = handler.signedCount();
        for (uint256 i = 0; i < n; i++) {
            Doc memory d = handler.signedAt(i);
            (NotaryRegistry.Verification memory v, NotaryRegistry.SignatureCheck memory s) = _check(d);
            uint256 added = handler.addedBlock(d.keyIndex);
            uint256 removed = handler.removedBlock(d.keyIndex);
            uint256 anchored = d.anchoredBlock;
            assertEq(v.anchoredBlock, anchored, "anchoredBlock");
            if (removed != 0 && anchored >= removed) {
                assertTrue(!s.authorised, "a removed key authorised a later document");
            }
            bool expected = added != 0 && added <= anchored && (removed == 0 || anchored < removed);
            assertEq(s.authorised, expected, "authorised outside the key's interval");
            assertTrue(!s.authorised || s.signatureRequired, "authorised without signatureRequired");
        }
    }

    /// @notice The hot wallet alone never revokes a signing issuer's document: every revoked
    /// document was revoked with a signature of one of the issuer's keys.
    function invariant_HotWalletAloneNeverRevokes() public view {
        assertEq(handler.hotWalletRevocations(), 0, "the hot wallet revoked on its own");
        _assertRevokedOnlyBySignature(true);
        _assertRevokedOnlyBySignature(false);
    }

    function _assertRevokedOnlyBySignature(bool signed) internal view {
        uint256 n = signed ? handler.signedCount() : handler.forgedCount();
        address issuer = handler.issuer();
        for (uint256 i = 0; i < n; i++) {
            Doc memory d = signed ? handler.signedAt(i) : handler.forgedAt(i);
            bytes32 leaf = registry.leafOf(d.digest, issuer, d.meta);
            (uint64 revokedAt, ) = registry.revocationOf(issuer, leaf);
            if (revokedAt != 0) assertTrue(handler.revokedBySignature(leaf), "revoked without the issuer's key");
        }
    }

    function _check(
        Doc memory d
    ) internal view returns (NotaryRegistry.Verification memory, NotaryRegistry.SignatureCheck memory) {
        return
            registry.checkSigned(
                d.digest,
                handler.issuer(),
                d.meta,
                d.proof,
                d.leavesRoot,
                d.submissionProof,
                d.signature
            );
    }
}
