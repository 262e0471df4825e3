// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./TestBase.sol";

/**
 * @dev EIP-712 signatures for the registry's typed structs, computed here from the type
 * strings (not taken from the contract), so that tests pin what an issuer's wallet signs.
 */
abstract contract SigningKit is TestBase {
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant SUBMISSION_TYPEHASH = keccak256("Submission(address issuer,bytes32 leavesRoot)");
    bytes32 internal constant REVOCATION_TYPEHASH =
        keccak256("Revocation(address issuer,bytes32[] leaves,uint8 reason,uint256 nonce,uint256 deadline)");
    bytes32 internal constant ADD_SIGNER_TYPEHASH =
        keccak256("AddSigner(address issuer,address key,uint256 nonce,uint256 deadline)");
    bytes32 internal constant REMOVE_SIGNER_TYPEHASH =
        keccak256("RemoveSigner(address issuer,address key,uint256 nonce,uint256 deadline)");

    /// @dev secp256k1's order over 2: a signature with a larger `s` is malleable and refused.
    uint256 internal constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    uint256 internal constant ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    function domainSeparator(address registry) internal view returns (bytes32) {
        return
            keccak256(
                abi.encode(DOMAIN_TYPEHASH, keccak256("NotaryRegistry"), keccak256("2"), block.chainid, registry)
            );
    }

    function typedDigest(address registry, bytes32 structHash) internal view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(registry), structHash));
    }

    function signDigest(uint256 privateKey, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, digest);
        return abi.encodePacked(r, s, v);
    }

    function signSubmission(
        uint256 privateKey,
        address registry,
        address issuer,
        bytes32 leavesRoot
    ) internal view returns (bytes memory) {
        bytes32 structHash = keccak256(abi.encode(SUBMISSION_TYPEHASH, issuer, leavesRoot));
        return signDigest(privateKey, typedDigest(registry, structHash));
    }

    function signRevocation(
        uint256 privateKey,
        address registry,
        address issuer,
        bytes32[] memory leaves,
        uint8 reason,
        uint256 nonce,
        uint256 deadline
    ) internal view returns (bytes memory) {
        bytes32 leavesHash = keccak256(abi.encodePacked(leaves));
        bytes32 structHash = keccak256(abi.encode(REVOCATION_TYPEHASH, issuer, leavesHash, reason, nonce, deadline));
        return signDigest(privateKey, typedDigest(registry, structHash));
    }

    function signAddSigner(
        uint256 privateKey,
        address registry,
        address issuer,
        address key,
        uint256 nonce,
        uint256 deadline
    ) internal view returns (bytes memory) {
        bytes32 structHash = keccak256(abi.encode(ADD_SIGNER_TYPEHASH, issuer, key, nonce, deadline));
        return signDigest(privateKey, typedDigest(registry, structHash));
    }

    function signRemoveSigner(
        uint256 privateKey,
        address registry,
        address issuer,
        address key,
        uint256 nonce,
        uint256 deadline
    ) internal view returns (bytes memory) {
        bytes32 structHash = keccak256(abi.encode(REMOVE_SIGNER_TYPEHASH, issuer, key, nonce, deadline));
        return signDigest(privateKey, typedDigest(registry, structHash));
    }

    /// @dev The same signature with `s` replaced by `n - s` and `v` flipped: it recovers the
    /// same key, so only the low-`s` rule refuses it.
    function malleated(bytes memory signature) internal pure returns (bytes memory) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
            v := byte(0, mload(add(signature, 0x60)))
        }
        return abi.encodePacked(r, bytes32(ORDER - uint256(s)), v == 27 ? uint8(28) : uint8(27));
    }
}
