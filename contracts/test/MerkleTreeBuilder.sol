// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @dev Builds OpenZeppelin `StandardMerkleTree`s in Solidity, for tests: the same layout as
 * the npm library (leaf hashes sorted, stored at the end of a complete binary tree in
 * reverse, node `i` = hash of sorted pair of children `2i+1` and `2i+2`), so roots and
 * proofs match the npm library `merkle-tree` (OpenZeppelin) for the same leaf hashes.
 */
library MerkleTreeBuilder {
    /// @dev The tree array (root at index 0) for the given leaf hashes (1 or more).
    function build(bytes32[] memory leaves) internal pure returns (bytes32[] memory tree) {
        uint256 n = leaves.length;
        require(n > 0, "MerkleTreeBuilder: no leaves");
        bytes32[] memory sorted = _sorted(leaves);
        tree = new bytes32[](2 * n - 1);
        for (uint256 i = 0; i < n; i++) {
            tree[tree.length - 1 - i] = sorted[i];
        }
        for (uint256 i = tree.length - n; i > 0; i--) {
            tree[i - 1] = hashPair(tree[2 * i - 1], tree[2 * i]);
        }
    }

    /// @dev The proof (sibling hashes, leaf to root) for `leafHash`, which must be in `tree`.
    function proof(bytes32[] memory tree, bytes32 leafHash) internal pure returns (bytes32[] memory path) {
        uint256 n = (tree.length + 1) / 2;
        uint256 index = type(uint256).max;
        for (uint256 i = tree.length - n; i < tree.length; i++) {
            if (tree[i] == leafHash) index = i;
        }
        require(index != type(uint256).max, "MerkleTreeBuilder: leaf not in tree");
        uint256 depth = 0;
        for (uint256 j = index; j > 0; j = (j - 1) / 2) depth++;
        path = new bytes32[](depth);
        for (uint256 k = 0; index > 0; k++) {
            path[k] = tree[index % 2 == 1 ? index + 1 : index - 1];
            index = (index - 1) / 2;
        }
    }

    /// @dev The OpenZeppelin standard leaf of `(digest, issuer, metadataDigest)`.
    function leaf(bytes32 digest, address issuer, bytes32 metadataDigest) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(digest, issuer, metadataDigest))));
    }

    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function _sorted(bytes32[] memory values) private pure returns (bytes32[] memory out) {
        out = new bytes32[](values.length);
        for (uint256 i = 0; i < values.length; i++) {
            bytes32 v = values[i];
            uint256 j = i;
            for (; j > 0 && out[j - 1] > v; j--) out[j] = out[j - 1];
            out[j] = v;
        }
    }
}
