// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {NotaryRegistry} from "../NotaryRegistry.sol";
import {TestBase} from "./TestBase.sol";

/// @dev Drives the registry with random anchors, revocations (including repeats that must
/// fail), issuer deactivations and the passing of time, and remembers the first record
/// it saw for every root and revoked leaf.
contract RegistryHandler is TestBase {
    NotaryRegistry internal immutable registry;
    address internal immutable admin;
    address[3] internal issuers = [address(0x1551), address(0x2662), address(0x3773)];

    bytes32[] public roots;
    mapping(bytes32 root => uint256 packed) public anchoredRecord;

    address[] public revokedIssuers;
    bytes32[] public revokedLeaves;
    mapping(address issuer => mapping(bytes32 leaf => uint256 packed)) public revokedRecord;

    uint256 public rejected; // writes that the registry refused, as it must
    uint256 public doubleWrites; // second writes of a root or revocation that were accepted

    constructor(NotaryRegistry registry_, address admin_) {
        registry = registry_;
        admin = admin_;
        vm.startPrank(admin_);
        for (uint256 i = 0; i < issuers.length; i++) registry_.registerIssuer(issuers[i], "issuer");
        vm.stopPrank();
    }

    function issuerCount() external view returns (uint256) {
        return issuers.length;
    }

    function issuerAt(uint256 i) external view returns (address) {
        return issuers[i];
    }

    function rootCount() external view returns (uint256) {
        return roots.length;
    }

    function revokedCount() external view returns (uint256) {
        return revokedLeaves.length;
    }

    function passTime(uint32 secondsLater, uint16 blocksLater) external {
        vm.warp(block.timestamp + secondsLater);
        vm.roll(block.number + blocksLater);
    }

    /// @dev Anchors a fresh root or, half of the time, tries an already anchored one again.
    function anchor(uint256 seed, uint64 leafCount, bool reuse) external {
        bytes32 root = reuse && roots.length > 0 ? roots[seed % roots.length] : keccak256(abi.encode("root", seed));
        leafCount = uint64(bound(leafCount, 1, type(uint64).max));
        try registry.anchor(root, leafCount) {
            // No revert here: that would roll the write back and hide it from the invariants.
            if (anchoredRecord[root] != 0) {
                doubleWrites++;
                return;
            }
            (uint64 t, uint64 b, uint64 n) = registry.anchorOf(root);
            anchoredRecord[root] = _pack(t, b, n);
            roots.push(root);
        } catch {
            rejected++;
        }
    }

    /// @dev Revokes as an issuer, or on its behalf, fresh or already revoked leaves.
    function revoke(uint256 seed, uint8 issuerIndex, uint8 reason, bool reuse, bool onBehalf) external {
        address issuer = issuers[issuerIndex % issuers.length];
        bytes32 leaf = reuse && revokedLeaves.length > 0
            ? revokedLeaves[seed % revokedLeaves.length]
            : keccak256(abi.encode("leaf", seed));
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = leaf;
        bool ok;
        if (onBehalf) {
            try registry.revokeFor(issuer, leaves, reason) {
                ok = true;
            } catch {}
        } else {
            vm.prank(issuer);
            try registry.revoke(leaf, reason) {
                ok = true;
            } catch {}
        }
        if (!ok) {
            rejected++;
            return;
        }
        if (revokedRecord[issuer][leaf] != 0) {
            doubleWrites++;
            return;
        }
        (uint64 revokedAt, uint8 why) = registry.revocationOf(issuer, leaf);
        revokedRecord[issuer][leaf] = _pack(revokedAt, why, 1);
        revokedIssuers.push(issuer);
        revokedLeaves.push(leaf);
    }

    /// @dev Rarely acts, so that issuers stay active for most of a run.
    function deactivate(uint8 issuerIndex, uint8 dice) external {
        if (dice % 16 != 0) return;
        vm.prank(admin);
        try registry.deactivateIssuer(issuers[issuerIndex % issuers.length]) {} catch {
            rejected++;
        }
    }

    function _pack(uint64 a, uint64 b, uint64 c) internal pure returns (uint256) {
        return uint256(a) | (uint256(b) << 64) | (uint256(c) << 128) | (1 << 255);
    }
}

contract NotaryRegistryInvariantTest is TestBase {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    NotaryRegistry internal registry;
    RegistryHandler internal handler;

    function setUp() public {
        vm.warp(1_750_000_000);
        vm.roll(1_000);
        registry = new NotaryRegistry(address(this));
        handler = new RegistryHandler(registry, address(this));
        registry.grantRole(registry.ANCHORER_ROLE(), address(handler));
    }

    /// @dev Read by forge (forge-std's StdInvariant normally provides it): fuzz only the handler.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev Read by forge likewise: only the handler's actions, not its getters.
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](4);
        selectors[0] = RegistryHandler.anchor.selector;
        selectors[1] = RegistryHandler.revoke.selector;
        selectors[2] = RegistryHandler.deactivate.selector;
        selectors[3] = RegistryHandler.passTime.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), selectors);
    }

    /// @dev Guards against vacuous runs: every run must have anchored and revoked something.
    function afterInvariant() public view {
        assertTrue(handler.rootCount() > 0, "no root anchored in this run");
        assertTrue(handler.revokedCount() > 0, "nothing revoked in this run");
    }

    /// @notice An anchored root's record never changes.
    function invariant_AnchorRecordsNeverChange() public view {
        uint256 n = handler.rootCount();
        for (uint256 i = 0; i < n; i++) {
            bytes32 root = handler.roots(i);
            (uint64 t, uint64 b, uint64 c) = registry.anchorOf(root);
            uint256 packed = uint256(t) | (uint256(b) << 64) | (uint256(c) << 128) | (1 << 255);
            assertEq(packed, handler.anchoredRecord(root), "anchor record changed");
        }
    }

    /// @notice A root or a revocation is never accepted twice.
    function invariant_NoSecondWrites() public view {
        assertEq(handler.doubleWrites(), 0, "second write accepted");
    }

    /// @notice A revocation is never undone or altered.
    function invariant_RevocationsAreFinal() public view {
        uint256 n = handler.revokedCount();
        for (uint256 i = 0; i < n; i++) {
            address issuer = handler.revokedIssuers(i);
            bytes32 leaf = handler.revokedLeaves(i);
            (uint64 revokedAt, uint8 why) = registry.revocationOf(issuer, leaf);
            assertTrue(why != 0, "revocation undone");
            uint256 packed = uint256(revokedAt) | (uint256(why) << 64) | (uint256(1) << 128) | (1 << 255);
            assertEq(packed, handler.revokedRecord(issuer, leaf), "revocation record changed");
        }
    }

    /// @notice Deactivation is final too: a deactivated issuer never becomes active again.
    function invariant_DeactivatedIssuersStayDeactivated() public {
        uint256 n = handler.issuerCount();
        for (uint256 i = 0; i < n; i++) {
            address issuer = handler.issuerAt(i);
            (, , uint64 deactivatedAt) = registry.issuerOf(issuer);
            if (deactivatedAt == 0) continue;
            vm.prank(issuer);
            try registry.revoke(keccak256(abi.encode("probe", block.number)), 1) {
                revert("deactivated issuer could revoke");
            } catch (bytes memory reason) {
                assertEq(bytes4(reason), NotaryRegistry.InactiveIssuer.selector, "InactiveIssuer");
            }
        }
    }
}
