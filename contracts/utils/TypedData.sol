// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title TypedData
 * @notice EIP-712 hashing for a contract whose domain is
 * `EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)`:
 * the same hashes as OpenZeppelin's `EIP712`, which this replaces for two reasons.
 *
 * NOTE: OpenZeppelin's `EIP712` (5.4 and later) imports `Strings` and `Bytes`, whose `mcopy`
 * does not compile for EVMs before Cancun, and the registry is built for Shanghai and Paris
 * too. It also caches the separator in immutables, which are written into the runtime
 * code at deployment; without them a deployed registry's code equals the committed
 * artifact byte for byte, which anyone can compare. The separator is computed on each use
 * instead (a keccak256 of five words), so it also follows a fork that changes the chain id.
 */
library TypedData {
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @dev The separator of the domain (`nameHash`, `versionHash`, this chain, this contract).
    function domainSeparator(bytes32 nameHash, bytes32 versionHash) internal view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, nameHash, versionHash, block.chainid, address(this)));
    }

    /// @dev The digest a wallet signs: keccak256("\x19\x01" ‖ separator ‖ structHash).
    function digest(bytes32 separator, bytes32 structHash) internal pure returns (bytes32 result) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, hex"1901")
            mstore(add(ptr, 0x02), separator)
            mstore(add(ptr, 0x22), structHash)
            result := keccak256(ptr, 0x42)
        }
    }
}
