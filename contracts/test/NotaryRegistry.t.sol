// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {NotaryRegistry} from "../NotaryRegistry.sol";
import {MerkleTreeBuilder} from "./MerkleTreeBuilder.sol";
import {TestBase, Vm} from "./TestBase.sol";

contract NotaryRegistryTest is TestBase {
    NotaryRegistry internal registry;

    address internal constant ADMIN = address(0xA11CE);
    address internal constant ANCHORER = address(0xA7C4);
    address internal constant ISSUER = address(0x1551);
    address internal constant OTHER_ISSUER = address(0x2662);
    address internal constant STRANGER = address(0xBAD);

    bytes32 internal constant ROOT = keccak256("root");
    bytes32 internal constant LEAF = keccak256("leaf");
    uint64 internal constant T0 = 1_750_000_000;
    uint64 internal constant B0 = 1_000;

    bytes32 internal anchorerRole;

    function setUp() public {
        vm.warp(T0);
        vm.roll(B0);
        registry = new NotaryRegistry(ADMIN);
        anchorerRole = registry.ANCHORER_ROLE();
        vm.startPrank(ADMIN);
        registry.grantRole(anchorerRole, ANCHORER);
        registry.registerIssuer(ISSUER, unicode"Sở Tài nguyên và Môi trường");
        registry.registerIssuer(OTHER_ISSUER, "Department of Agriculture");
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ helpers

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }

    function _leaves(uint256 n, uint256 seed) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) leaves[i] = keccak256(abi.encode(seed, i));
    }

    function _one(bytes32 leaf) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](1);
        leaves[0] = leaf;
    }

    function _assertNotRevoked(address issuer, bytes32 leaf) internal view {
        (uint64 revokedAt, uint8 reason) = registry.revocationOf(issuer, leaf);
        assertEq(revokedAt, 0, "revokedAt");
        assertEq(reason, 0, "reason");
    }

    // ------------------------------------------------------------- constructor

    function test_ConstructorGrantsAdminRole() public view {
        assertTrue(registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), ADMIN), "admin has DEFAULT_ADMIN_ROLE");
        assertTrue(registry.hasRole(registry.REGISTRAR_ROLE(), ADMIN), "admin is a registrar");
        assertTrue(!registry.hasRole(anchorerRole, ADMIN), "admin is not an anchorer by default");
        assertEq(anchorerRole, keccak256("ANCHORER_ROLE"), "ANCHORER_ROLE");
    }

    function test_RevertWhen_ConstructorAdminIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.ZeroAddress.selector));
        new NotaryRegistry(address(0));
    }

    // ------------------------------------------------------------------ issuers

    function test_RegisterIssuer() public {
        address issuer = address(0x3773);
        vm.warp(T0 + 5);
        vm.expectEmit(address(registry));
        emit NotaryRegistry.IssuerRegistered(issuer, "Export office");
        vm.prank(ADMIN);
        registry.registerIssuer(issuer, "Export office");
        (string memory name, uint64 registeredAt, uint64 deactivatedAt) = registry.issuerOf(issuer);
        assertEq(name, "Export office", "name");
        assertEq(registeredAt, T0 + 5, "registeredAt");
        assertEq(deactivatedAt, 0, "deactivatedAt");
    }

    function test_IssuerOfUnknownIsZero() public view {
        (string memory name, uint64 registeredAt, uint64 deactivatedAt) = registry.issuerOf(STRANGER);
        assertEq(name, "", "name");
        assertEq(registeredAt, 0, "registeredAt");
        assertEq(deactivatedAt, 0, "deactivatedAt");
    }

    function test_RevertWhen_RegisterIssuerByNonAdmin() public {
        vm.expectRevert(_unauthorized(ANCHORER, registry.REGISTRAR_ROLE()));
        vm.prank(ANCHORER);
        registry.registerIssuer(address(0x3773), "x");
    }

    function test_RegistrarGrantedByAdminManagesIssuers() public {
        address registrar = address(0xBEEF);
        bytes32 role = registry.REGISTRAR_ROLE();
        vm.prank(ADMIN);
        registry.grantRole(role, registrar);
        vm.prank(registrar);
        registry.registerIssuer(address(0x3773), "Export office");
        vm.prank(registrar);
        registry.deactivateIssuer(address(0x3773));
        (, uint64 registeredAt, uint64 deactivatedAt) = registry.issuerOf(address(0x3773));
        assertTrue(registeredAt != 0 && deactivatedAt != 0, "registered then deactivated");
    }

    function test_RevertWhen_RegisterIssuerZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.ZeroAddress.selector));
        vm.prank(ADMIN);
        registry.registerIssuer(address(0), "x");
    }

    function test_RevertWhen_RegisterIssuerEmptyName() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.EmptyIssuerName.selector));
        vm.prank(ADMIN);
        registry.registerIssuer(address(0x3773), "");
    }

    function test_RevertWhen_RegisterIssuerTwice() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.IssuerAlreadyRegistered.selector, ISSUER));
        vm.prank(ADMIN);
        registry.registerIssuer(ISSUER, "again");
    }

    function test_RevertWhen_RegisterIssuerAfterDeactivation() public {
        vm.startPrank(ADMIN);
        registry.deactivateIssuer(ISSUER);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.IssuerAlreadyRegistered.selector, ISSUER));
        registry.registerIssuer(ISSUER, "again");
        vm.stopPrank();
    }

    function test_DeactivateIssuer() public {
        vm.warp(T0 + 100);
        vm.expectEmit(address(registry));
        emit NotaryRegistry.IssuerDeactivated(ISSUER);
        vm.prank(ADMIN);
        registry.deactivateIssuer(ISSUER);
        (string memory name, uint64 registeredAt, uint64 deactivatedAt) = registry.issuerOf(ISSUER);
        assertEq(name, unicode"Sở Tài nguyên và Môi trường", "name kept");
        assertEq(registeredAt, T0, "registeredAt kept");
        assertEq(deactivatedAt, T0 + 100, "deactivatedAt");
    }

    function test_RevertWhen_DeactivateIssuerByNonAdmin() public {
        vm.expectRevert(_unauthorized(ISSUER, registry.REGISTRAR_ROLE()));
        vm.prank(ISSUER);
        registry.deactivateIssuer(ISSUER);
    }

    function test_RevertWhen_DeactivateUnknownIssuer() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnknownIssuer.selector, STRANGER));
        vm.prank(ADMIN);
        registry.deactivateIssuer(STRANGER);
    }

    function test_RevertWhen_DeactivateIssuerTwice() public {
        vm.startPrank(ADMIN);
        registry.deactivateIssuer(ISSUER);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.IssuerAlreadyDeactivated.selector, ISSUER));
        registry.deactivateIssuer(ISSUER);
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- anchoring

    function test_Anchor() public {
        vm.warp(T0 + 7);
        vm.roll(B0 + 3);
        vm.recordLogs();
        vm.prank(ANCHORER);
        registry.anchor(ROOT, 42);
        (uint64 timestamp, uint64 blockNumber, uint64 leafCount) = registry.anchorOf(ROOT);
        assertEq(timestamp, T0 + 7, "timestamp");
        assertEq(blockNumber, B0 + 3, "blockNumber");
        assertEq(leafCount, 42, "leafCount");

        // Anonymous event: one topic, the root itself, and no data.
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one log");
        assertEq(logs[0].emitter, address(registry), "emitter");
        assertEq(logs[0].topics.length, 1, "topics");
        assertEq(logs[0].topics[0], ROOT, "topic is the root");
        assertEq(logs[0].data.length, 0, "no data");
    }

    function test_AnchorMaxLeafCount() public {
        vm.prank(ANCHORER);
        registry.anchor(ROOT, type(uint64).max);
        (uint64 timestamp,, uint64 leafCount) = registry.anchorOf(ROOT);
        assertEq(timestamp, T0, "timestamp");
        assertEq(leafCount, type(uint64).max, "leafCount");
    }

    function test_AnchorOfUnknownIsZero() public view {
        (uint64 timestamp, uint64 blockNumber, uint64 leafCount) = registry.anchorOf(ROOT);
        assertEq(timestamp, 0, "timestamp");
        assertEq(blockNumber, 0, "blockNumber");
        assertEq(leafCount, 0, "leafCount");
    }

    function test_RevertWhen_AnchorByNonAnchorer() public {
        vm.expectRevert(_unauthorized(ADMIN, anchorerRole));
        vm.prank(ADMIN);
        registry.anchor(ROOT, 1);
    }

    function test_RevertWhen_AnchorAfterRoleRevoked() public {
        vm.prank(ADMIN);
        registry.revokeRole(anchorerRole, ANCHORER);
        vm.expectRevert(_unauthorized(ANCHORER, anchorerRole));
        vm.prank(ANCHORER);
        registry.anchor(ROOT, 1);
    }

    function test_RevertWhen_AnchorZeroRoot() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.ZeroRoot.selector));
        vm.prank(ANCHORER);
        registry.anchor(bytes32(0), 1);
    }

    function test_RevertWhen_AnchorZeroLeafCount() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.ZeroLeafCount.selector));
        vm.prank(ANCHORER);
        registry.anchor(ROOT, 0);
    }

    function test_RevertWhen_AnchorLeafCountTooLarge() public {
        uint256 tooLarge = uint256(type(uint64).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.LeafCountTooLarge.selector, tooLarge));
        vm.prank(ANCHORER);
        registry.anchor(ROOT, tooLarge);
    }

    function test_RevertWhen_AnchorSameRootTwice() public {
        vm.startPrank(ANCHORER);
        registry.anchor(ROOT, 1);
        vm.warp(T0 + 60);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.AlreadyAnchored.selector, ROOT));
        registry.anchor(ROOT, 2);
        vm.stopPrank();
        (uint64 timestamp,, uint64 leafCount) = registry.anchorOf(ROOT);
        assertEq(timestamp, T0, "first record kept");
        assertEq(leafCount, 1, "first leaf count kept");
    }

    function testFuzz_AnchorRecordsRoot(bytes32 root, uint64 leafCount, uint64 timestamp, uint64 blockNumber) public {
        vm.assume(root != 0 && leafCount != 0);
        vm.warp(timestamp);
        vm.roll(blockNumber);
        vm.prank(ANCHORER);
        registry.anchor(root, leafCount);
        (uint64 t, uint64 b, uint64 n) = registry.anchorOf(root);
        assertEq(t, timestamp, "timestamp");
        assertEq(b, blockNumber, "blockNumber");
        assertEq(n, leafCount, "leafCount");
    }

    function testFuzz_RevertWhen_AnchorByUnauthorized(address caller, bytes32 root) public {
        vm.assume(caller != ANCHORER && root != 0);
        vm.expectRevert(_unauthorized(caller, anchorerRole));
        vm.prank(caller);
        registry.anchor(root, 1);
    }

    // --------------------------------------------------------------- revocation

    function test_Revoke() public {
        vm.warp(T0 + 9);
        vm.expectEmit(address(registry));
        emit NotaryRegistry.Revoked(ISSUER, 3, _one(LEAF));
        vm.prank(ISSUER);
        registry.revoke(LEAF, 3);
        (uint64 revokedAt, uint8 reason) = registry.revocationOf(ISSUER, LEAF);
        assertEq(revokedAt, T0 + 9, "revokedAt");
        assertEq(reason, 3, "reason");
        _assertNotRevoked(OTHER_ISSUER, LEAF);
    }

    function test_RevertWhen_RevokeByUnknownIssuer() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnknownIssuer.selector, STRANGER));
        vm.prank(STRANGER);
        registry.revoke(LEAF, 1);
    }

    function test_RevertWhen_RevokeByDeactivatedIssuer() public {
        vm.prank(ADMIN);
        registry.deactivateIssuer(ISSUER);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.InactiveIssuer.selector, ISSUER));
        vm.prank(ISSUER);
        registry.revoke(LEAF, 1);
    }

    function test_RevertWhen_RevokeReasonZero() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.ZeroReason.selector));
        vm.prank(ISSUER);
        registry.revoke(LEAF, 0);
    }

    function test_RevertWhen_RevokeTwice() public {
        vm.startPrank(ISSUER);
        registry.revoke(LEAF, 1);
        vm.warp(T0 + 60);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.AlreadyRevoked.selector, LEAF));
        registry.revoke(LEAF, 2);
        vm.stopPrank();
        (uint64 revokedAt, uint8 reason) = registry.revocationOf(ISSUER, LEAF);
        assertEq(revokedAt, T0, "first revocation kept");
        assertEq(reason, 1, "first reason kept");
    }

    function test_IssuersHaveSeparateNamespaces() public {
        vm.prank(ISSUER);
        registry.revoke(LEAF, 1);
        // The same leaf value in another issuer's namespace is untouched and still revocable.
        _assertNotRevoked(OTHER_ISSUER, LEAF);
        vm.prank(OTHER_ISSUER);
        registry.revoke(LEAF, 2);
        (, uint8 reason) = registry.revocationOf(ISSUER, LEAF);
        assertEq(reason, 1, "first issuer's record unchanged");
    }

    function test_RevokeMany() public {
        bytes32[] memory leaves = _leaves(5, 1);
        vm.expectEmit(address(registry));
        emit NotaryRegistry.Revoked(ISSUER, 7, leaves);
        vm.prank(ISSUER);
        registry.revokeMany(leaves, 7);
        for (uint256 i = 0; i < leaves.length; i++) {
            (uint64 revokedAt, uint8 reason) = registry.revocationOf(ISSUER, leaves[i]);
            assertEq(revokedAt, T0, "revokedAt");
            assertEq(reason, 7, "reason");
        }
    }

    function test_RevertWhen_RevokeManyEmpty() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.NoLeaves.selector));
        vm.prank(ISSUER);
        registry.revokeMany(new bytes32[](0), 1);
    }

    function test_RevertWhen_RevokeManyReasonZero() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.ZeroReason.selector));
        vm.prank(ISSUER);
        registry.revokeMany(_leaves(2, 1), 0);
    }

    function test_RevertWhen_RevokeManyByUnknownIssuer() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnknownIssuer.selector, ANCHORER));
        vm.prank(ANCHORER);
        registry.revokeMany(_leaves(2, 1), 1);
    }

    function test_RevertWhen_RevokeManyByDeactivatedIssuer() public {
        vm.prank(ADMIN);
        registry.deactivateIssuer(ISSUER);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.InactiveIssuer.selector, ISSUER));
        vm.prank(ISSUER);
        registry.revokeMany(_leaves(2, 1), 1);
    }

    function test_RevertWhen_RevokeManyHasDuplicate() public {
        bytes32[] memory leaves = _leaves(3, 1);
        leaves[2] = leaves[0];
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.AlreadyRevoked.selector, leaves[0]));
        vm.prank(ISSUER);
        registry.revokeMany(leaves, 1);
        _assertNotRevoked(ISSUER, leaves[0]); // all or nothing
        _assertNotRevoked(ISSUER, leaves[1]);
    }

    function test_RevertWhen_RevokeManyIncludesRevoked() public {
        bytes32[] memory leaves = _leaves(3, 1);
        vm.startPrank(ISSUER);
        registry.revoke(leaves[1], 1);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.AlreadyRevoked.selector, leaves[1]));
        registry.revokeMany(leaves, 2);
        vm.stopPrank();
        _assertNotRevoked(ISSUER, leaves[0]);
    }

    function test_RevokeFor() public {
        bytes32[] memory leaves = _leaves(4, 2);
        vm.expectEmit(address(registry));
        emit NotaryRegistry.Revoked(ISSUER, 255, leaves);
        vm.prank(ANCHORER);
        registry.revokeFor(ISSUER, leaves, 255);
        (uint64 revokedAt, uint8 reason) = registry.revocationOf(ISSUER, leaves[3]);
        assertEq(revokedAt, T0, "revokedAt");
        assertEq(reason, 255, "reason");
        _assertNotRevoked(ANCHORER, leaves[3]);
    }

    function test_RevokeForDeactivatedIssuer() public {
        vm.prank(ADMIN);
        registry.deactivateIssuer(ISSUER);
        vm.prank(ANCHORER);
        registry.revokeFor(ISSUER, _one(LEAF), 4);
        (, uint8 reason) = registry.revocationOf(ISSUER, LEAF);
        assertEq(reason, 4, "reason");
    }

    function test_RevertWhen_RevokeForByNonAnchorer() public {
        vm.expectRevert(_unauthorized(ISSUER, anchorerRole));
        vm.prank(ISSUER);
        registry.revokeFor(ISSUER, _one(LEAF), 1);
    }

    function test_RevertWhen_RevokeForUnknownIssuer() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnknownIssuer.selector, STRANGER));
        vm.prank(ANCHORER);
        registry.revokeFor(STRANGER, _one(LEAF), 1);
    }

    function test_RevertWhen_RevokeForReasonZero() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.ZeroReason.selector));
        vm.prank(ANCHORER);
        registry.revokeFor(ISSUER, _one(LEAF), 0);
    }

    function test_RevertWhen_RevokeForEmpty() public {
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.NoLeaves.selector));
        vm.prank(ANCHORER);
        registry.revokeFor(ISSUER, new bytes32[](0), 1);
    }

    function test_RevertWhen_RevokeForAlreadyRevokedByIssuer() public {
        vm.prank(ISSUER);
        registry.revoke(LEAF, 1);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.AlreadyRevoked.selector, LEAF));
        vm.prank(ANCHORER);
        registry.revokeFor(ISSUER, _one(LEAF), 2);
    }

    function testFuzz_RevokeRecordsReason(bytes32 leaf, uint8 reason, uint64 timestamp) public {
        vm.assume(reason != 0);
        vm.warp(timestamp);
        vm.prank(ISSUER);
        registry.revoke(leaf, reason);
        (uint64 revokedAt, uint8 stored) = registry.revocationOf(ISSUER, leaf);
        assertEq(revokedAt, timestamp, "revokedAt");
        assertEq(stored, reason, "reason");
    }

    function testFuzz_RevokeManyRecordsEveryLeaf(uint256 seed, uint8 count, uint8 reason) public {
        uint256 n = bound(count, 1, 50);
        reason = uint8(bound(reason, 1, 255));
        bytes32[] memory leaves = _leaves(n, seed);
        vm.prank(ISSUER);
        registry.revokeMany(leaves, reason);
        for (uint256 i = 0; i < n; i++) {
            (, uint8 stored) = registry.revocationOf(ISSUER, leaves[i]);
            assertEq(stored, reason, "reason");
        }
        _assertNotRevoked(OTHER_ISSUER, leaves[0]);
    }

    function testFuzz_RevertWhen_RevokeForByUnauthorized(address caller) public {
        vm.assume(caller != ANCHORER);
        vm.expectRevert(_unauthorized(caller, anchorerRole));
        vm.prank(caller);
        registry.revokeFor(ISSUER, _one(LEAF), 1);
    }

    function testFuzz_RevertWhen_RegisterIssuerByUnauthorized(address caller) public {
        vm.assume(caller != ADMIN);
        vm.expectRevert(_unauthorized(caller, registry.REGISTRAR_ROLE()));
        vm.prank(caller);
        registry.registerIssuer(address(0x3773), "x");
    }

    function testFuzz_RevertWhen_RevokeByNonIssuer(address caller) public {
        vm.assume(caller != ISSUER && caller != OTHER_ISSUER);
        vm.expectRevert(abi.encodeWithSelector(NotaryRegistry.UnknownIssuer.selector, caller));
        vm.prank(caller);
        registry.revoke(LEAF, 1);
    }

    // ------------------------------------------------------------- verification

    /// @dev Root and proof computed with the npm package merkle-tree 1.0.8 (OpenZeppelin)
    /// (StandardMerkleTree.of(values, ["bytes32","address","bytes32"])) for the values
    /// [0x11…11, 0x…a1, 0x00…00], [0x22…22, 0x…a1, 0x33…33], [0x44…44, 0x…b2, 0x00…00].
    function test_CheckMatchesOpenZeppelinMerkleTree() public {
        bytes32 digest = bytes32(uint256(0x1111111111111111111111111111111111111111111111111111111111111111));
        bytes32 meta = bytes32(uint256(0x3333333333333333333333333333333333333333333333333333333333333333));
        bytes32 root = 0xebcea7ba250be3c4015125201eb79a4a3720b9c2baf248d75ce3aa51194b9302;
        bytes32[] memory proof = new bytes32[](2);
        proof[0] = 0x3f76b62538884a30d6a81a8bd5ba9dd77a27247d27c4e5da7041be4d8380ee38;
        proof[1] = 0xcfd6c9c7fadda092cc865fab9ead69fdd3f95b13e8ac87ce6e3d152ad43dee1e;
        assertEq(
            registry.leafOf(digest, address(0xA1), 0),
            0x411ea0ae27292bbd78ad8098d0fdb07bcaa05e938f4a988ecdc0b74cb248e126,
            "leaf"
        );

        // The Solidity builder reproduces the library's layout.
        bytes32[] memory leaves = new bytes32[](3);
        leaves[0] = MerkleTreeBuilder.leaf(digest, address(0xA1), 0);
        leaves[1] = MerkleTreeBuilder.leaf(bytes32(uint256(0x22) * (type(uint256).max / 0xff)), address(0xA1), meta);
        leaves[2] = MerkleTreeBuilder.leaf(bytes32(uint256(0x44) * (type(uint256).max / 0xff)), address(0xb2), 0);
        bytes32[] memory tree = MerkleTreeBuilder.build(leaves);
        assertEq(tree[0], root, "builder root");
        bytes32[] memory built = MerkleTreeBuilder.proof(tree, leaves[0]);
        assertEq(built.length, 2, "proof length");
        assertEq(built[0], proof[0], "proof[0]");
        assertEq(built[1], proof[1], "proof[1]");

        vm.prank(ANCHORER);
        registry.anchor(root, 3);
        NotaryRegistry.Verification memory v = registry.check(digest, address(0xA1), 0, proof);
        assertEq(v.root, root, "root");
        assertEq(v.anchoredAt, T0, "anchoredAt");
        assertEq(v.leafCount, 3, "leafCount");
    }

    function test_CheckAnchoredSingleLeafBatch() public {
        bytes32 digest = keccak256("document");
        bytes32 leaf = registry.leafOf(digest, ISSUER, 0);
        vm.prank(ANCHORER);
        registry.anchor(leaf, 1); // a one-leaf tree's root is the leaf
        vm.roll(B0 + 11);
        NotaryRegistry.Verification memory v = registry.check(digest, ISSUER, 0, new bytes32[](0));
        assertEq(v.leaf, leaf, "leaf");
        assertEq(v.root, leaf, "root");
        assertEq(v.anchoredAt, T0, "anchoredAt");
        assertEq(v.anchoredBlock, B0, "anchoredBlock");
        assertEq(v.leafCount, 1, "leafCount");
        assertEq(v.revokedAt, 0, "revokedAt");
        assertEq(v.revocationReason, 0, "revocationReason");
        assertEq(v.currentBlock, B0 + 11, "currentBlock");
        assertEq(v.issuerName, unicode"Sở Tài nguyên và Môi trường", "issuerName");
        assertEq(v.issuerRegisteredAt, T0, "issuerRegisteredAt");
        assertEq(v.issuerDeactivatedAt, 0, "issuerDeactivatedAt");
    }

    function test_CheckNotAnchoredIsZero() public view {
        NotaryRegistry.Verification memory v = registry.check(keccak256("x"), STRANGER, 0, new bytes32[](0));
        assertEq(v.root, registry.leafOf(keccak256("x"), STRANGER, 0), "root");
        assertEq(v.anchoredAt, 0, "anchoredAt");
        assertEq(v.anchoredBlock, 0, "anchoredBlock");
        assertEq(v.leafCount, 0, "leafCount");
        assertEq(v.currentBlock, B0, "currentBlock");
        assertEq(v.issuerName, "", "issuerName");
        assertEq(v.issuerRegisteredAt, 0, "issuerRegisteredAt");
    }

    function test_CheckShowsRevocationAndDeactivation() public {
        bytes32 digest = keccak256("document");
        bytes32 leaf = registry.leafOf(digest, ISSUER, 0);
        vm.prank(ANCHORER);
        registry.anchor(leaf, 1);
        vm.warp(T0 + 30);
        vm.prank(ISSUER);
        registry.revoke(leaf, 9);
        vm.warp(T0 + 60);
        vm.prank(ADMIN);
        registry.deactivateIssuer(ISSUER);
        NotaryRegistry.Verification memory v = registry.check(digest, ISSUER, 0, new bytes32[](0));
        assertEq(v.anchoredAt, T0, "anchoredAt");
        assertEq(v.revokedAt, T0 + 30, "revokedAt");
        assertEq(v.revocationReason, 9, "revocationReason");
        assertEq(v.issuerDeactivatedAt, T0 + 60, "issuerDeactivatedAt");
        // Another issuer claiming the same digest gets another leaf, hence no revocation.
        NotaryRegistry.Verification memory w = registry.check(digest, OTHER_ISSUER, 0, new bytes32[](0));
        assertEq(w.revokedAt, 0, "other issuer's leaf not revoked");
        assertEq(w.anchoredAt, 0, "other issuer's leaf not anchored");
    }

    function testFuzz_CheckProvesEveryLeafOfRandomTree(uint256 seed, uint8 size, uint8 pick) public {
        uint256 n = bound(size, 1, 40);
        bytes32[] memory digests = new bytes32[](n);
        bytes32[] memory metas = new bytes32[](n);
        address[] memory issuers = new address[](n);
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            digests[i] = keccak256(abi.encode(seed, i, "digest"));
            metas[i] = i % 3 == 0 ? bytes32(0) : keccak256(abi.encode(seed, i, "meta"));
            issuers[i] = i % 2 == 0 ? ISSUER : OTHER_ISSUER;
            leaves[i] = MerkleTreeBuilder.leaf(digests[i], issuers[i], metas[i]);
        }
        bytes32[] memory tree = MerkleTreeBuilder.build(leaves);
        vm.prank(ANCHORER);
        registry.anchor(tree[0], n);

        uint256 k = bound(pick, 0, n - 1);
        bytes32[] memory proof = MerkleTreeBuilder.proof(tree, leaves[k]);
        NotaryRegistry.Verification memory v = registry.check(digests[k], issuers[k], metas[k], proof);
        assertEq(v.leaf, leaves[k], "leaf");
        assertEq(v.root, tree[0], "root");
        assertEq(v.anchoredAt, T0, "anchoredAt");
        assertEq(v.leafCount, n, "leafCount");

        // Any change to the values leads to a root that was never anchored.
        v = registry.check(digests[k] ^ bytes32(uint256(1)), issuers[k], metas[k], proof);
        assertEq(v.anchoredAt, 0, "tampered digest");
        v = registry.check(digests[k], STRANGER, metas[k], proof);
        assertEq(v.anchoredAt, 0, "tampered issuer");
        v = registry.check(digests[k], issuers[k], metas[k] ^ bytes32(uint256(1)), proof);
        assertEq(v.anchoredAt, 0, "tampered metadata");
    }
}
