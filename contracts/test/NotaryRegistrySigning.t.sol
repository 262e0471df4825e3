// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {NotaryRegistry} from "../NotaryRegistry.sol";
import {MerkleTreeBuilder} from "./MerkleTreeBuilder.sol";
import {SigningKit} from "./SigningKit.sol";
import {Vm} from "./TestBase.sol";

/// @dev Issuer signing keys: adding and removing them (directly and relayed), what
/// {checkSigned} reports, {check}'s refusal, and revocation of a signing issuer's documents.
contract NotaryRegistrySigningTest is SigningKit {
    NotaryRegistry internal registry;

    address internal constant ADMIN = address(0xA11CE);
    address internal constant ANCHORER = address(0xA7C4);
    address internal constant STRANGER = address(0xBAD);

    uint256 internal constant ROOT_PK = 0x1551;
    uint256 internal constant KEY_PK = 0x5161;
    uint256 internal constant KEY2_PK = 0x5162;
    uint256 internal constant OTHER_ROOT_PK = 0x2662;
    uint256 internal constant OTHER_KEY_PK = 0x5262;
    uint256 internal constant ANCHORER_PK = 0xA7C4;

    uint64 internal constant T0 = 1_750_000_000;
    uint64 internal constant B0 = 1_000;
    uint256 internal constant DEADLINE = T0 + 1 days;

    address internal issuer;
    address internal key;
    address internal key2;
    address internal otherIssuer;
    address internal otherKey;

    function setUp() public {
        vm.warp(T0);
        vm.roll(B0);
        issuer = vm.addr(ROOT_PK);
        key = vm.addr(KEY_PK);
        key2 = vm.addr(KEY2_PK);
        otherIssuer = vm.addr(OTHER_ROOT_PK);
        otherKey = vm.addr(OTHER_KEY_PK);
        registry = new NotaryRegistry(ADMIN);
        vm.startPrank(ADMIN);
        registry.grantRole(registry.ANCHORER_ROLE(), ANCHORER);
        registry.registerIssuer(issuer, unicode"Sở Tài nguyên và Môi trường");
        registry.registerIssuer(otherIssuer, "Department of Agriculture");
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ helpers

    /// @dev One document of `issuer`, its leaf, and the batch and submission it was sent in.
    struct Doc {
        bytes32 digest;
        bytes32 meta;
        bytes32[] proof;
        bytes32 leavesRoot;
        bytes32[] submissionProof;
        bytes signature;
    }

    function _addKey(address who, address what) internal {
        vm.prank(who);
        registry.addSigner(what);
    }

    function _removeKey(address who, address what) internal {
        vm.prank(who);
        registry.removeSigner(what);
    }

    function _anchor(bytes32 root, uint256 count) internal {
        vm.prank(ANCHORER);
        registry.anchor(root, count);
    }

    /// @dev A one-document submission signed with `pk`, anchored alone (root = leaf).
    function _signedDoc(string memory name, uint256 pk) internal returns (Doc memory d) {
        d.digest = keccak256(bytes(name));
        d.meta = keccak256(abi.encode(name, "meta"));
        d.leavesRoot = registry.leafOf(d.digest, issuer, d.meta);
        d.signature = signSubmission(pk, address(registry), issuer, d.leavesRoot);
        _anchor(d.leavesRoot, 1);
    }

    function _checkSigned(
        Doc memory d
    ) internal view returns (NotaryRegistry.Verification memory v, NotaryRegistry.SignatureCheck memory s) {
        return registry.checkSigned(d.digest, issuer, d.meta, d.proof, d.leavesRoot, d.submissionProof, d.signature);
    }

    function _leaves(uint256 n, uint256 seed) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) leaves[i] = keccak256(abi.encode(seed, i));
    }

    function _revokeBySig(uint256 pk, bytes32[] memory leaves, uint8 reason, uint256 nonce) internal {
        bytes memory sig = signRevocation(pk, address(registry), issuer, leaves, reason, nonce, DEADLINE);
        vm.prank(ANCHORER);
        registry.revokeBySig(issuer, leaves, reason, nonce, DEADLINE, sig);
    }

    // ------------------------------------------------------------- signing keys

    function test_AddSigner() public {
        vm.warp(T0 + 5);
        vm.roll(B0 + 2);
        vm.expectEmit(address(registry));
        emit NotaryRegistry.SignerAdded(issuer, key);
        _addKey(issuer, key);
        (uint64 addedAt, uint64 addedBlock, uint64 removedAt, uint64 removedBlock) = registry.signerOf(issuer, key);
        assertEq(addedAt, T0 + 5, "addedAt");
        assertEq(addedBlock, B0 + 2, "addedBlock");
        assertEq(removedAt, 0, "removedAt");
        assertEq(removedBlock, 0, "removedBlock");
        assertEq(registry.signingSinceOf(issuer), B0 + 2, "signingSince");
        assertEq(registry.signingSinceOf(otherIssuer), 0, "other issuer does not sign");
        (uint64 otherAddedAt, , , ) = registry.signerOf(otherIssuer, key);
        assertEq(otherAddedAt, 0, "keys are per issuer");
    }

    function test_SecondSignerKeepsSigningSince() public {
        _addKey(issuer, key);
        vm.roll(B0 + 9);
        _addKey(issuer, key2);
        assertEq(registry.signingSinceOf(issuer), B0, "signingSince of the first key");
        NotaryRegistry.Signer[] memory signers = registry.signersOf(issuer);
        assertEq(signers.length, 2, "two keys");
        assertEq(signers[0].key, key, "first key");
        assertEq(signers[1].key, key2, "second key");
        assertEq(signers[1].addedBlock, B0 + 9, "second key's block");
    }

    function test_RemoveSigner() public {
        _addKey(issuer, key);
        vm.warp(T0 + 60);
        vm.roll(B0 + 4);
        vm.expectEmit(address(registry));
        emit NotaryRegistry.SignerRemoved(issuer, key);
        _removeKey(issuer, key);
        (uint64 addedAt, uint64 addedBlock, uint64 removedAt, uint64 removedBlock) = registry.signerOf(issuer, key);
        assertEq(addedAt, T0, "addedAt kept");
        assertEq(addedBlock, B0, "addedBlock kept");
        assertEq(removedAt, T0 + 60, "removedAt");
        assertEq(removedBlock, B0 + 4, "removedBlock");
        NotaryRegistry.Signer[] memory signers = registry.signersOf(issuer);
        assertEq(signers.length, 1, "a removed key stays listed");
        assertEq(signers[0].removedBlock, B0 + 4, "with its removal");
    }

    function test_SigningSinceOutlivesEveryKey() public {
        _addKey(issuer, key);
        vm.roll(B0 + 1);
        _removeKey(issuer, key);
        assertEq(registry.signingSinceOf(issuer), B0, "still a signing issuer");
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.SignatureRequired.selector, issuer));
        vm.prank(ANCHORER);
        registry.revokeFor(issuer, _leaves(1, 1), 1);
    }

    function test_RevertWhen_AddSignerTwice() public {
        _addKey(issuer, key);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.SignerAlreadyAdded.selector, issuer, key));
        _addKey(issuer, key);
    }

    function test_RevertWhen_AddSignerAfterRemoval() public {
        _addKey(issuer, key);
        vm.roll(B0 + 1);
        _removeKey(issuer, key);
        vm.roll(B0 + 2);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.SignerAlreadyAdded.selector, issuer, key));
        _addKey(issuer, key);
    }

    function test_RevertWhen_AddSignerZeroKey() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.ZeroAddress.selector));
        _addKey(issuer, address(0));
    }

    function test_RevertWhen_AddSignerIsAnAnchorer() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.AnchorerAsSigner.selector, ANCHORER));
        _addKey(issuer, ANCHORER);
    }

    function test_RevertWhen_AddSignerByUnknownIssuer() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnknownIssuer.selector, STRANGER));
        _addKey(STRANGER, key);
    }

    function test_RevertWhen_AddSignerByDeactivatedIssuer() public {
        vm.prank(ADMIN);
        registry.deactivateIssuer(issuer);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.InactiveIssuer.selector, issuer));
        _addKey(issuer, key);
    }

    function test_RemoveSignerByDeactivatedIssuer() public {
        _addKey(issuer, key);
        vm.prank(ADMIN);
        registry.deactivateIssuer(issuer);
        _removeKey(issuer, key);
        (, , , uint64 removedBlock) = registry.signerOf(issuer, key);
        assertEq(removedBlock, B0, "removed");
    }

    function test_RevertWhen_RemoveSignerNeverAdded() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnknownSigner.selector, issuer, key));
        _removeKey(issuer, key);
    }

    function test_RevertWhen_RemoveSignerTwice() public {
        _addKey(issuer, key);
        _removeKey(issuer, key);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.SignerAlreadyRemoved.selector, issuer, key));
        _removeKey(issuer, key);
    }

    function test_RevertWhen_RemoveSignerByUnknownIssuer() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnknownIssuer.selector, STRANGER));
        _removeKey(STRANGER, key);
    }

    function test_AnotherIssuerCannotRemoveAKey() public {
        _addKey(issuer, key);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnknownSigner.selector, otherIssuer, key));
        _removeKey(otherIssuer, key);
    }

    // ------------------------------------------------------------ relayed keys

    function test_AddSignerBySigRelayedByAnyone() public {
        bytes memory sig = signAddSigner(ROOT_PK, address(registry), issuer, key, 0, DEADLINE);
        vm.expectEmit(address(registry));
        emit NotaryRegistry.SignerAdded(issuer, key);
        vm.prank(STRANGER);
        registry.addSignerBySig(issuer, key, 0, DEADLINE, sig);
        (, uint64 addedBlock, , ) = registry.signerOf(issuer, key);
        assertEq(addedBlock, B0, "added");
        assertEq(registry.nonces(issuer), 1, "nonce used");
    }

    function test_RemoveSignerBySigRelayedByAnyone() public {
        _addKey(issuer, key);
        vm.roll(B0 + 3);
        bytes memory sig = signRemoveSigner(ROOT_PK, address(registry), issuer, key, 0, DEADLINE);
        vm.prank(ANCHORER);
        registry.removeSignerBySig(issuer, key, 0, DEADLINE, sig);
        (, , , uint64 removedBlock) = registry.signerOf(issuer, key);
        assertEq(removedBlock, B0 + 3, "removed");
    }

    function test_RevertWhen_AddSignerBySigFromASigningKey() public {
        _addKey(issuer, key);
        bytes memory sig = signAddSigner(KEY_PK, address(registry), issuer, key2, 0, DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnauthorisedSigner.selector, issuer, key));
        registry.addSignerBySig(issuer, key2, 0, DEADLINE, sig);
    }

    function test_RevertWhen_RemoveSignerBySigFromTheKeyItself() public {
        _addKey(issuer, key);
        bytes memory sig = signRemoveSigner(KEY_PK, address(registry), issuer, key, 0, DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnauthorisedSigner.selector, issuer, key));
        registry.removeSignerBySig(issuer, key, 0, DEADLINE, sig);
    }

    function test_RevertWhen_AddSignerBySigReplayed() public {
        bytes memory sig = signAddSigner(ROOT_PK, address(registry), issuer, key, 0, DEADLINE);
        registry.addSignerBySig(issuer, key, 0, DEADLINE, sig);
        vm.expectRevert(abi.encodeWithSelector(Nonces.InvalidAccountNonce.selector, issuer, 1));
        registry.addSignerBySig(issuer, key, 0, DEADLINE, sig);
    }

    function test_RevertWhen_AddSignerBySigExpired() public {
        bytes memory sig = signAddSigner(ROOT_PK, address(registry), issuer, key, 0, T0 - 1);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.ExpiredSignature.selector, T0 - 1));
        registry.addSignerBySig(issuer, key, 0, T0 - 1, sig);
    }

    function test_AddSignerBySigAtItsDeadline() public {
        bytes memory sig = signAddSigner(ROOT_PK, address(registry), issuer, key, 0, T0);
        registry.addSignerBySig(issuer, key, 0, T0, sig);
        (, uint64 addedBlock, , ) = registry.signerOf(issuer, key);
        assertEq(addedBlock, B0, "a deadline is inclusive");
    }

    function test_RevertWhen_AddSignerBySigForAnotherKey() public {
        bytes memory sig = signAddSigner(ROOT_PK, address(registry), issuer, key, 0, DEADLINE);
        // The signature recovers to some other address once a signed field is changed.
        try registry.addSignerBySig(issuer, key2, 0, DEADLINE, sig) {
            revert("a signature for another key was accepted");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), NotaryRegistry.UnauthorisedSigner.selector, "UnauthorisedSigner");
        }
    }

    function test_RevertWhen_AddSignerBySigForAnotherRegistry() public {
        NotaryRegistry twin = new NotaryRegistry(ADMIN);
        bytes memory sig = signAddSigner(ROOT_PK, address(twin), issuer, key, 0, DEADLINE);
        try registry.addSignerBySig(issuer, key, 0, DEADLINE, sig) {
            revert("a signature for another registry was accepted");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), NotaryRegistry.UnauthorisedSigner.selector, "UnauthorisedSigner");
        }
    }

    function test_RevertWhen_AddSignerBySigMalformed() public {
        bytes memory sig = signAddSigner(ROOT_PK, address(registry), issuer, key, 0, DEADLINE);
        bytes memory short = new bytes(64);
        for (uint256 i = 0; i < 64; i++) short[i] = sig[i];
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.InvalidSignature.selector));
        registry.addSignerBySig(issuer, key, 0, DEADLINE, short);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.InvalidSignature.selector));
        registry.addSignerBySig(issuer, key, 0, DEADLINE, malleated(sig));
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.InvalidSignature.selector));
        registry.addSignerBySig(issuer, key, 0, DEADLINE, new bytes(65));
    }

    function test_KeyedNonceSequencesAreIndependent() public {
        uint256 officeA = uint256(uint160(key)) << 64;
        uint256 officeB = uint256(uint160(key2)) << 64;
        bytes memory sigB = signAddSigner(ROOT_PK, address(registry), issuer, key2, officeB, DEADLINE);
        bytes memory sigA = signAddSigner(ROOT_PK, address(registry), issuer, key, officeA, DEADLINE);
        registry.addSignerBySig(issuer, key, officeA, DEADLINE, sigA);
        registry.addSignerBySig(issuer, key2, officeB, DEADLINE, sigB); // signed first, sent second
        assertEq(registry.nonces(issuer, uint192(uint160(key))), officeA + 1, "sequence A");
        assertEq(registry.nonces(issuer, uint192(uint160(key2))), officeB + 1, "sequence B");
        assertEq(registry.nonces(issuer), 0, "sequence 0 untouched");
    }

    function test_Eip712Domain() public view {
        (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        ) = registry.eip712Domain();
        assertEq(uint8(fields), 0x0f, "fields: name, version, chainId, verifyingContract");
        assertEq(name, "NotaryRegistry", "name");
        assertEq(version, "2", "version");
        assertEq(chainId, block.chainid, "chainId");
        assertEq(verifyingContract, address(registry), "verifyingContract");
        assertEq(salt, bytes32(0), "salt");
        assertEq(extensions.length, 0, "extensions");
    }

    function test_SignaturesFollowTheChainIdAfterAFork() public {
        bytes memory sig = signAddSigner(ROOT_PK, address(registry), issuer, key, 0, DEADLINE);
        vm.chainId(block.chainid + 1); // the cached domain was for the old id
        try registry.addSignerBySig(issuer, key, 0, DEADLINE, sig) {
            revert("a signature from before the fork was accepted");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), NotaryRegistry.UnauthorisedSigner.selector, "UnauthorisedSigner");
        }
        registry.addSignerBySig(
            issuer,
            key,
            0,
            DEADLINE,
            signAddSigner(ROOT_PK, address(registry), issuer, key, 0, DEADLINE)
        );
    }

    // ------------------------------------------------------------- checkSigned

    function test_CheckSignedAuthorisedDocument() public {
        _addKey(issuer, key);
        vm.roll(B0 + 2);
        Doc memory d = _signedDoc("permit", KEY_PK);
        vm.roll(B0 + 7);
        (NotaryRegistry.Verification memory v, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertEq(v.anchoredBlock, B0 + 2, "anchoredBlock");
        assertEq(v.currentBlock, B0 + 7, "currentBlock");
        assertEq(s.signer, key, "signer");
        assertTrue(s.inSubmission, "inSubmission");
        assertEq(s.signerAddedAt, T0, "signerAddedAt");
        assertEq(s.signerAddedBlock, B0, "signerAddedBlock");
        assertEq(s.signerRemovedBlock, 0, "signerRemovedBlock");
        assertEq(s.signingSince, B0, "signingSince");
        assertTrue(s.signatureRequired, "signatureRequired");
        assertTrue(s.authorised, "authorised");
    }

    function test_CheckSignedKeyAddedInTheAnchoringBlock() public {
        _addKey(issuer, key);
        Doc memory d = _signedDoc("permit", KEY_PK);
        (, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertTrue(s.authorised, "a key counts from the block that added it");
    }

    function test_CheckSignedDocumentInASubmissionOfMany() public {
        _addKey(issuer, key);
        // A submission of 5 documents signed once, sent in a batch of 9 with other issuers' leaves.
        bytes32[] memory digests = _leaves(5, 7);
        bytes32[] memory subLeaves = new bytes32[](5);
        for (uint256 i = 0; i < 5; i++) subLeaves[i] = registry.leafOf(digests[i], issuer, 0);
        bytes32[] memory subTree = MerkleTreeBuilder.build(subLeaves);
        bytes32[] memory batchLeaves = new bytes32[](9);
        for (uint256 i = 0; i < 9; i++) {
            batchLeaves[i] = i < 5 ? subLeaves[i] : registry.leafOf(keccak256(abi.encode(i)), otherIssuer, 0);
        }
        bytes32[] memory batch = MerkleTreeBuilder.build(batchLeaves);
        _anchor(batch[0], 9);
        Doc memory d;
        d.leavesRoot = subTree[0];
        d.signature = signSubmission(KEY_PK, address(registry), issuer, subTree[0]);
        for (uint256 i = 0; i < 5; i++) {
            d.digest = digests[i];
            d.proof = MerkleTreeBuilder.proof(batch, subLeaves[i]);
            d.submissionProof = MerkleTreeBuilder.proof(subTree, subLeaves[i]);
            (NotaryRegistry.Verification memory v, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
            assertEq(v.root, batch[0], "root");
            assertTrue(s.authorised, "each document of the submission");
        }
    }

    function test_CheckSignedWithoutSignature() public {
        _addKey(issuer, key);
        Doc memory d = _signedDoc("forged", KEY_PK);
        d.signature = "";
        (NotaryRegistry.Verification memory v, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertTrue(v.anchoredAt != 0, "anchored by the hot wallet");
        assertEq(s.signer, address(0), "no signer");
        assertTrue(s.signatureRequired, "signatureRequired");
        assertTrue(!s.authorised, "not authorised");
    }

    function test_CheckSignedByAKeyNeverAdded() public {
        _addKey(issuer, key);
        Doc memory d = _signedDoc("forged", ANCHORER_PK);
        (, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertEq(s.signer, vm.addr(ANCHORER_PK), "signer recovered");
        assertEq(s.signerAddedBlock, 0, "never added");
        assertTrue(!s.authorised, "not authorised");
    }

    function test_CheckSignedByAnotherIssuersKey() public {
        _addKey(issuer, key);
        _addKey(otherIssuer, otherKey);
        Doc memory d = _signedDoc("forged", OTHER_KEY_PK);
        (, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertEq(s.signer, otherKey, "signer");
        assertTrue(!s.authorised, "another issuer's key signs nothing for this one");
    }

    function test_CheckSignedRootKeyIsNotASigningKey() public {
        _addKey(issuer, key);
        Doc memory d = _signedDoc("by root", ROOT_PK);
        (, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertEq(s.signer, issuer, "signer");
        assertTrue(!s.authorised, "the root key signs documents only once added as a key");
    }

    function test_CheckSignedDocumentNotInTheSignedSubmission() public {
        _addKey(issuer, key);
        Doc memory real = _signedDoc("real", KEY_PK);
        // The forger reuses the real signature and its leavesRoot for another document.
        Doc memory d = _signedDoc("forged", ANCHORER_PK);
        d.leavesRoot = real.leavesRoot;
        d.signature = real.signature;
        (, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertEq(s.signer, key, "the real key signed that root");
        assertTrue(!s.inSubmission, "but the document is not in it");
        assertTrue(!s.authorised, "not authorised");
    }

    function test_CheckSignedMalleatedSignature() public {
        _addKey(issuer, key);
        Doc memory d = _signedDoc("permit", KEY_PK);
        d.signature = malleated(d.signature);
        (, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertEq(s.signer, address(0), "high s refused");
        assertTrue(!s.authorised, "not authorised");
    }

    function test_CheckSignedKeyRemoved() public {
        _addKey(issuer, key);
        vm.roll(B0 + 1);
        Doc memory before = _signedDoc("before", KEY_PK);
        vm.roll(B0 + 5);
        Doc memory sameBlock = _signedDoc("same block", KEY_PK);
        _removeKey(issuer, key);
        vm.roll(B0 + 6);
        Doc memory later = _signedDoc("later", KEY_PK);
        (, NotaryRegistry.SignatureCheck memory s) = _checkSigned(before);
        assertTrue(s.authorised, "anchored before the removal: still genuine");
        assertEq(s.signerRemovedBlock, B0 + 5, "signerRemovedBlock");
        (, s) = _checkSigned(sameBlock);
        assertTrue(!s.authorised, "anchored in the removal block");
        (, s) = _checkSigned(later);
        assertTrue(!s.authorised, "anchored after the removal");
    }

    function test_CheckSignedKeyAddedAfterAnchoring() public {
        _addKey(issuer, key);
        vm.roll(B0 + 1);
        Doc memory d = _signedDoc("early", KEY2_PK);
        vm.roll(B0 + 2);
        _addKey(issuer, key2);
        (, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertTrue(!s.authorised, "a key does not count before it was added");
    }

    function test_CheckSignedBeforeTheIssuerSigns() public {
        Doc memory d = _signedDoc("old", KEY_PK);
        vm.roll(B0 + 1);
        _addKey(issuer, key);
        (NotaryRegistry.Verification memory v, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertTrue(!s.signatureRequired, "anchored before signingSince");
        assertTrue(!s.authorised, "not authorised");
        NotaryRegistry.Verification memory old = registry.check(d.digest, issuer, d.meta, d.proof);
        assertEq(old.anchoredAt, v.anchoredAt, "check still answers for it");
    }

    function test_CheckSignedNotAnchored() public {
        _addKey(issuer, key);
        Doc memory d;
        d.digest = keccak256("pending");
        d.leavesRoot = registry.leafOf(d.digest, issuer, 0);
        d.signature = signSubmission(KEY_PK, address(registry), issuer, d.leavesRoot);
        (NotaryRegistry.Verification memory v, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertEq(v.anchoredAt, 0, "anchoredAt");
        assertEq(s.signer, key, "signer");
        assertTrue(s.inSubmission, "inSubmission");
        assertTrue(s.signatureRequired, "will need it once anchored");
        assertTrue(!s.authorised, "nothing is authorised before it is anchored");
    }

    function test_CheckSignedForAnIssuerThatDoesNotSign() public {
        Doc memory d = _signedDoc("unsigned", KEY_PK);
        d.signature = "";
        (NotaryRegistry.Verification memory v, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        NotaryRegistry.Verification memory w = registry.check(d.digest, issuer, d.meta, d.proof);
        assertEq(keccak256(abi.encode(v)), keccak256(abi.encode(w)), "the same facts as check");
        assertEq(s.signingSince, 0, "signingSince");
        assertTrue(!s.signatureRequired, "signatureRequired");
        assertTrue(!s.authorised, "authorised");
    }

    function test_RevertWhen_CheckOfASigningIssuersDocument() public {
        _addKey(issuer, key);
        Doc memory d = _signedDoc("permit", KEY_PK);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.SignatureRequired.selector, issuer));
        registry.check(d.digest, issuer, d.meta, d.proof);
    }

    function test_CheckOfASigningIssuersPendingDocument() public {
        _addKey(issuer, key);
        NotaryRegistry.Verification memory v = registry.check(keccak256("pending"), issuer, 0, new bytes32[](0));
        assertEq(v.anchoredAt, 0, "not anchored: zeros as before, no revert");
    }

    function testFuzz_CheckSignedRefusesARandomSignature(bytes memory signature) public {
        _addKey(issuer, key);
        Doc memory d = _signedDoc("forged", KEY_PK);
        vm.assume(keccak256(signature) != keccak256(d.signature));
        d.signature = signature;
        (, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertTrue(!s.authorised, "a random signature authorises nothing");
    }

    function testFuzz_CheckSignedFollowsTheKeyInterval(uint8 addAt, uint8 removeAfter, uint8 anchorAt) public {
        uint256 added = B0 + bound(addAt, 0, 20);
        uint256 removed = added + bound(removeAfter, 0, 20); // == added: removed in its own block
        uint256 anchored = B0 + bound(anchorAt, 0, 45);
        // The registry records block numbers only, so the calls need not run in block order.
        vm.roll(added);
        _addKey(issuer, key);
        vm.roll(removed);
        _removeKey(issuer, key);
        vm.roll(anchored);
        Doc memory d = _signedDoc("doc", KEY_PK);
        (, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertEq(s.authorised, added <= anchored && anchored < removed, "authorised iff added <= anchored < removed");
        assertTrue(!s.authorised || s.signatureRequired, "authorised implies signatureRequired");
    }

    // --------------------------------------------------------------- revocation

    function test_RevertWhen_RevokeForASigningIssuer() public {
        _addKey(issuer, key);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.SignatureRequired.selector, issuer));
        vm.prank(ANCHORER);
        registry.revokeFor(issuer, _leaves(3, 1), 1);
    }

    function test_RevokeForAnotherIssuerThatDoesNotSign() public {
        _addKey(issuer, key);
        vm.prank(ANCHORER);
        registry.revokeFor(otherIssuer, _leaves(1, 1), 1);
        (, uint8 reason) = registry.revocationOf(otherIssuer, _leaves(1, 1)[0]);
        assertEq(reason, 1, "the other issuer keeps today's model");
    }

    function test_RevokeBySigRelayedByTheAnchorer() public {
        _addKey(issuer, key);
        bytes32[] memory leaves = _leaves(4, 2);
        vm.warp(T0 + 30);
        vm.expectEmit(address(registry));
        emit NotaryRegistry.Revoked(issuer, 6, leaves);
        vm.expectEmit(address(registry));
        emit NotaryRegistry.RevocationSigned(issuer, key);
        _revokeBySig(KEY_PK, leaves, 6, 0);
        for (uint256 i = 0; i < leaves.length; i++) {
            (uint64 revokedAt, uint8 reason) = registry.revocationOf(issuer, leaves[i]);
            assertEq(revokedAt, T0 + 30, "revokedAt");
            assertEq(reason, 6, "reason");
        }
        assertEq(registry.nonces(issuer), 1, "nonce used");
    }

    function test_RevokeBySigWithTheRootKey() public {
        _addKey(issuer, key);
        _revokeBySig(ROOT_PK, _leaves(2, 3), 1, 0);
        (, uint8 reason) = registry.revocationOf(issuer, _leaves(2, 3)[1]);
        assertEq(reason, 1, "revoked");
    }

    function test_RevokeBySigForAnIssuerThatDoesNotSign() public {
        _revokeBySig(ROOT_PK, _leaves(1, 4), 2, 0);
        (, uint8 reason) = registry.revocationOf(issuer, _leaves(1, 4)[0]);
        assertEq(reason, 2, "the root key revokes, relayed");
    }

    function test_RevokeBySigForADeactivatedIssuer() public {
        _addKey(issuer, key);
        vm.prank(ADMIN);
        registry.deactivateIssuer(issuer);
        _revokeBySig(KEY_PK, _leaves(1, 5), 3, 0);
        (, uint8 reason) = registry.revocationOf(issuer, _leaves(1, 5)[0]);
        assertEq(reason, 3, "its keys can still withdraw its documents");
    }

    function test_RootKeyRevokesDirectly() public {
        _addKey(issuer, key);
        vm.prank(issuer);
        registry.revokeMany(_leaves(2, 6), 4);
        (, uint8 reason) = registry.revocationOf(issuer, _leaves(2, 6)[0]);
        assertEq(reason, 4, "revoked by the root key");
    }

    function test_RevertWhen_RevokeBySigWithARemovedKey() public {
        _addKey(issuer, key);
        vm.roll(B0 + 1);
        _removeKey(issuer, key);
        bytes32[] memory leaves = _leaves(1, 7);
        bytes memory sig = signRevocation(KEY_PK, address(registry), issuer, leaves, 1, 0, DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnauthorisedSigner.selector, issuer, key));
        registry.revokeBySig(issuer, leaves, 1, 0, DEADLINE, sig);
    }

    function test_RevertWhen_RevokeBySigFromTheAnchorersKey() public {
        _addKey(issuer, key);
        bytes32[] memory leaves = _leaves(1, 8);
        bytes memory sig = signRevocation(ANCHORER_PK, address(registry), issuer, leaves, 1, 0, DEADLINE);
        vm.expectRevert(
            abi.encodeWithSelector(NotaryRegistry.UnauthorisedSigner.selector, issuer, vm.addr(ANCHORER_PK))
        );
        vm.prank(ANCHORER);
        registry.revokeBySig(issuer, leaves, 1, 0, DEADLINE, sig);
    }

    function test_RevertWhen_RevokeBySigFromAnotherIssuersKey() public {
        _addKey(issuer, key);
        _addKey(otherIssuer, otherKey);
        bytes32[] memory leaves = _leaves(1, 9);
        bytes memory sig = signRevocation(OTHER_KEY_PK, address(registry), issuer, leaves, 1, 0, DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnauthorisedSigner.selector, issuer, otherKey));
        registry.revokeBySig(issuer, leaves, 1, 0, DEADLINE, sig);
    }

    function test_RevertWhen_RevokeBySigReplayed() public {
        _addKey(issuer, key);
        bytes32[] memory leaves = _leaves(1, 10);
        bytes memory sig = signRevocation(KEY_PK, address(registry), issuer, leaves, 1, 0, DEADLINE);
        registry.revokeBySig(issuer, leaves, 1, 0, DEADLINE, sig);
        vm.expectRevert(abi.encodeWithSelector(Nonces.InvalidAccountNonce.selector, issuer, 1));
        registry.revokeBySig(issuer, leaves, 1, 0, DEADLINE, sig);
    }

    function test_RevertWhen_RevokeBySigExpired() public {
        _addKey(issuer, key);
        bytes32[] memory leaves = _leaves(1, 11);
        bytes memory sig = signRevocation(KEY_PK, address(registry), issuer, leaves, 1, 0, DEADLINE);
        vm.warp(DEADLINE + 1);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.ExpiredSignature.selector, DEADLINE));
        registry.revokeBySig(issuer, leaves, 1, 0, DEADLINE, sig);
    }

    function test_RevertWhen_RevokeBySigAltered() public {
        _addKey(issuer, key);
        bytes32[] memory leaves = _leaves(3, 12);
        bytes memory sig = signRevocation(KEY_PK, address(registry), issuer, leaves, 1, 0, DEADLINE);
        bytes32[] memory other = _leaves(3, 13);
        bytes4 unauthorised = NotaryRegistry.UnauthorisedSigner.selector;
        // Each signed field, changed, recovers another (unknown) address.
        try registry.revokeBySig(issuer, other, 1, 0, DEADLINE, sig) {
            revert("other leaves accepted");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), unauthorised, "leaves");
        }
        try registry.revokeBySig(issuer, leaves, 2, 0, DEADLINE, sig) {
            revert("another reason accepted");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), unauthorised, "reason");
        }
        try registry.revokeBySig(issuer, leaves, 1, 0, DEADLINE + 1, sig) {
            revert("another deadline accepted");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), unauthorised, "deadline");
        }
        try registry.revokeBySig(otherIssuer, leaves, 1, 0, DEADLINE, sig) {
            revert("another issuer accepted");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), unauthorised, "issuer");
        }
        assertEq(registry.nonces(issuer), 0, "nothing spent");
    }

    function test_RevertWhen_RevokeBySigUnknownIssuer() public {
        bytes32[] memory leaves = _leaves(1, 14);
        bytes memory sig = signRevocation(KEY_PK, address(registry), STRANGER, leaves, 1, 0, DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnknownIssuer.selector, STRANGER));
        registry.revokeBySig(STRANGER, leaves, 1, 0, DEADLINE, sig);
    }

    function test_RevertWhen_RevokeBySigAlreadyRevoked() public {
        _addKey(issuer, key);
        bytes32[] memory leaves = _leaves(2, 15);
        vm.prank(issuer);
        registry.revoke(leaves[1], 1);
        bytes memory sig = signRevocation(KEY_PK, address(registry), issuer, leaves, 1, 0, DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.AlreadyRevoked.selector, leaves[1]));
        registry.revokeBySig(issuer, leaves, 1, 0, DEADLINE, sig);
    }

    function test_RevertWhen_RevokeBySigReasonZero() public {
        _addKey(issuer, key);
        bytes32[] memory leaves = _leaves(1, 16);
        bytes memory sig = signRevocation(KEY_PK, address(registry), issuer, leaves, 0, 0, DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.ZeroReason.selector));
        registry.revokeBySig(issuer, leaves, 0, 0, DEADLINE, sig);
    }

    function test_RevokeBySigShowsInCheckSigned() public {
        _addKey(issuer, key);
        Doc memory d = _signedDoc("permit", KEY_PK);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = d.leavesRoot; // a one-document submission: its root is its leaf
        _revokeBySig(KEY_PK, leaves, 5, 0);
        (NotaryRegistry.Verification memory v, NotaryRegistry.SignatureCheck memory s) = _checkSigned(d);
        assertEq(v.revocationReason, 5, "revoked");
        assertTrue(s.authorised, "and still signed: the verdict is REVOKED");
    }

    function testFuzz_RevokeBySigRecordsEveryLeaf(uint256 seed, uint8 count, uint8 reason) public {
        _addKey(issuer, key);
        uint256 n = bound(count, 1, 40);
        reason = uint8(bound(reason, 1, 255));
        bytes32[] memory leaves = _leaves(n, seed);
        _revokeBySig(KEY_PK, leaves, reason, 0);
        for (uint256 i = 0; i < n; i++) {
            (, uint8 stored) = registry.revocationOf(issuer, leaves[i]);
            assertEq(stored, reason, "reason");
        }
    }

    // ------------------------------------------------------------------ logs

    function test_SignerEventsCarryBothAddressesAsTopics() public {
        vm.recordLogs();
        _addKey(issuer, key);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one log");
        assertEq(logs[0].topics.length, 3, "signature, issuer, key");
        assertEq(logs[0].topics[1], bytes32(uint256(uint160(issuer))), "issuer topic");
        assertEq(logs[0].topics[2], bytes32(uint256(uint160(key))), "key topic");
    }
}
