// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev The few forge cheatcodes these tests use. forge-std from npm is an old unofficial
/// copy that does not compile, so the interface is declared here; the signatures are
/// forge's own (https://book.getfoundry.sh/cheatcodes/).
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(address emitter) external;
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function assume(bool condition) external pure;
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);
    function toString(uint256 value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
    function toString(address value) external pure returns (string memory);
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function chainId(uint256 newChainId) external;
}

/// @dev Cheatcode handle and assertions that revert with "what: got != want".
abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function assertEq(uint256 got, uint256 want, string memory what) internal pure {
        if (got != want) revert(string.concat(what, ": ", vm.toString(got), " != ", vm.toString(want)));
    }

    function assertEq(bytes32 got, bytes32 want, string memory what) internal pure {
        if (got != want) revert(string.concat(what, ": ", vm.toString(got), " != ", vm.toString(want)));
    }

    function assertEq(address got, address want, string memory what) internal pure {
        if (got != want) revert(string.concat(what, ": ", vm.toString(got), " != ", vm.toString(want)));
    }

    function assertEq(string memory got, string memory want, string memory what) internal pure {
        if (keccak256(bytes(got)) != keccak256(bytes(want))) {
            revert(string.concat(what, ": '", got, "' != '", want, "'"));
        }
    }

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert(what);
    }

    function assertEq(bool got, bool want, string memory what) internal pure {
        if (got != want) revert(string.concat(what, got ? ": true != false" : ": false != true"));
    }

    /// @dev `x` mapped into [lo, hi] (forge-std's `bound` without the logging).
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (lo == 0 && hi == type(uint256).max) return x;
        return lo + (x % (hi - lo + 1));
    }
}
