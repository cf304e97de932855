extension ConfigNode {
    /// This mapping with the scalar at `dottedKey` (for example `federation.per_round`) set to `text`,
    /// adding the key, and any missing mapping on the way, when absent. Used by `--set` and sweeps;
    /// the new scalar is decoded and checked like any other value.
    ///
    /// - Throws: `ConfigError` when a node on the way is not a mapping.
    public func setting(_ dottedKey: String, to text: String) throws(ConfigError) -> ConfigNode {
        let keys = dottedKey.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !keys.isEmpty, keys.allSatisfy({ !$0.isEmpty }) else {
            throw ConfigError(mark: mark, path: path, message: "'\(dottedKey)' is not a dotted key such as federation.per_round")
        }
        return try setting(keys[...], to: text)
    }

    private func setting(_ keys: ArraySlice<String>, to text: String) throws(ConfigError) -> ConfigNode {
        guard let key = keys.first else { return ConfigNode.overrideValue(text, mark: mark, path: path) }
        var entries: [(key: String, keyMark: SourceMark, node: ConfigNode)]
        switch value {
        case let .mapping(existing): entries = existing
        case .null: entries = []
        default: throw ConfigError(mark: mark, path: path, message: "cannot set '\(key)' inside \(kindDescription)")
        }
        let childPath = ConfigNode.path(path, key: key)
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].node = try entries[index].node.setting(keys.dropFirst(), to: text)
        } else {
            let empty = ConfigNode(value: .mapping([]), mark: mark, path: childPath)
            let leaf = keys.count == 1 ? ConfigNode.overrideValue(text, mark: mark, path: childPath)
                : try empty.setting(keys.dropFirst(), to: text)
            entries.append((key: key, keyMark: mark, node: leaf))
        }
        return ConfigNode(value: .mapping(entries), mark: mark, path: path)
    }

    /// An override's value: a flow list of scalars (`[64, 32]`) becomes a list, anything else a scalar.
    static func overrideValue(_ text: String, mark: SourceMark, path: String) -> ConfigNode {
        func trim(_ part: Substring) -> Substring {
            part.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed().reduce(into: "") { $0.append($1) }[...]
        }
        let trimmed = trim(text[...])
        guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { return ConfigNode(value: .scalar(text), mark: mark, path: path) }
        let inner = trim(trimmed.dropFirst().dropLast())
        let items = inner.isEmpty ? [] : inner.split(separator: ",", omittingEmptySubsequences: false).map { String(trim($0)) }
        return ConfigNode(value: .sequence(items.enumerated().map { index, item in
            ConfigNode(value: .scalar(item), mark: mark, path: ConfigNode.path(path, index: index))
        }), mark: mark, path: path)
    }

    /// This mapping without the top-level `key` (unchanged if absent or not a mapping).
    public func removing(_ key: String) -> ConfigNode {
        guard case let .mapping(entries) = value else { return self }
        return ConfigNode(value: .mapping(entries.filter { $0.key != key }), mark: mark, path: path)
    }
}
