// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {NotaryRegistryV1} from "../legacy/NotaryRegistryV1.sol";
import {NotaryRegistry} from "../NotaryRegistry.sol";
import {MerkleTreeBuilder} from "./MerkleTreeBuilder.sol";
import {TestBase} from "./TestBase.sol";

/// @dev The current registry deployed beside the first one: for an issuer without signing
/// keys it answers the first one's calls with the same bytes, and the two keep apart.
contract MigrationTest is TestBase {
    NotaryRegistryV1 internal v1;
    NotaryRegistry internal v2;

    address internal constant ADMIN = address(0xA11CE);
    address internal constant ANCHORER = address(0xA7C4);
    address internal constant ISSUER = address(0x1551);

    function setUp() public {
        vm.warp(1_750_000_000);
        vm.roll(1_000);
        v1 = new NotaryRegistryV1(ADMIN);
        v2 = new NotaryRegistry(ADMIN);
        vm.startPrank(ADMIN);
        v1.grantRole(v1.ANCHORER_ROLE(), ANCHORER);
        v2.grantRole(v2.ANCHORER_ROLE(), ANCHORER);
        v1.registerIssuer(ISSUER, unicode"Sở Tài nguyên và Môi trường");
        v2.registerIssuer(ISSUER, unicode"Sở Tài nguyên và Môi trường");
        vm.stopPrank();
    }

    function _tree() internal pure returns (bytes32[] memory leaves, bytes32[] memory tree) {
        leaves = new bytes32[](3);
        for (uint256 i = 0; i < 3; i++) leaves[i] = MerkleTreeBuilder.leaf(keccak256(abi.encode(i)), ISSUER, 0);
        tree = MerkleTreeBuilder.build(leaves);
    }

    function _checkCall(uint256 i, bytes32[] memory tree, bytes32 leaf) internal pure returns (bytes memory) {
        bytes32[] memory proof = MerkleTreeBuilder.proof(tree, leaf);
        return abi.encodeCall(NotaryRegistry.check, (keccak256(abi.encode(i)), ISSUER, 0, proof));
    }

    function test_CheckAnswersTheSameBytesOnBothRegistries() public {
        (bytes32[] memory leaves, bytes32[] memory tree) = _tree();
        vm.startPrank(ANCHORER);
        v1.anchor(tree[0], 3);
        v2.anchor(tree[0], 3);
        vm.stopPrank();
        vm.warp(1_750_000_060);
        vm.roll(1_005);
        vm.startPrank(ISSUER);
        v1.revoke(leaves[1], 4);
        v2.revoke(leaves[1], 4);
        vm.stopPrank();
        for (uint256 i = 0; i < 3; i++) {
            bytes memory call = _checkCall(i, tree, leaves[i]);
            (bool ok1, bytes memory answer1) = address(v1).staticcall(call);
            (bool ok2, bytes memory answer2) = address(v2).staticcall(call);
            assertTrue(ok1 && ok2, "both answer");
            assertEq(keccak256(answer2), keccak256(answer1), "the same answer, byte for byte");
        }
    }

    function test_RegistriesKeepApart() public {
        (bytes32[] memory leaves, bytes32[] memory tree) = _tree();
        vm.prank(ANCHORER);
        v1.anchor(tree[0], 3);
        // Anchored on the old registry only: the new one knows nothing of it, and the other way.
        (uint64 anchoredAt, , ) = v2.anchorOf(tree[0]);
        assertEq(anchoredAt, 0, "not anchored on the new registry");
        vm.prank(ANCHORER);
        v2.anchor(tree[0], 3);
        vm.prank(ISSUER);
        v2.addSigner(address(0x5161));
        // The issuer signs on the new registry; its documents on the old one answer as before.
        bytes32[] memory proof = MerkleTreeBuilder.proof(tree, leaves[0]);
        NotaryRegistryV1.Verification memory old = v1.check(keccak256(abi.encode(0)), ISSUER, 0, proof);
        assertTrue(old.anchoredAt != 0, "old registry still answers");
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.SignatureRequired.selector, ISSUER));
        v2.check(keccak256(abi.encode(0)), ISSUER, 0, proof);
        vm.prank(ANCHORER);
        v1.revokeFor(ISSUER, leaves, 1); // the old registry keeps the old model
    }
}
