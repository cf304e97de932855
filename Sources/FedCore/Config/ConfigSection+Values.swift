extension ConfigSection {
    /// The text of the required scalar under `key`.
    public func string(_ key: String) throws(ConfigError) -> String {
        let entry = try required(key)
        return try scalar(entry, expected: "a string")
    }

    /// The text of the scalar under `key`, or `default` if it is absent or null.
    public func string(_ key: String, default: String) throws(ConfigError) -> String {
        try optionalString(key) ?? `default`
    }

    /// The scalar under `key`, which must be one of `allowed`.
    ///
    /// - Parameter default: Used when the key is absent or null; when `nil`, the key is required.
    public func string(_ key: String, oneOf allowed: [String], default: String? = nil) throws(ConfigError) -> String {
        guard let entry = try lookup(key, required: `default` == nil) else { return `default` ?? "" }
        let text = try scalar(entry, expected: "one of \(Self.quotedList(allowed))")
        guard allowed.contains(text) else {
            var message = "expected one of \(Self.quotedList(allowed)), got '\(text)'"
            if let suggestion = ConfigScalar.closest(to: text, among: allowed) {
                message += "; did you mean '\(suggestion)'?"
            }
            throw valueError(entry, message)
        }
        return text
    }

    /// The text of the scalar under `key`, or `nil` if it is absent or null.
    public func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard let entry = try lookup(key, required: false) else { return nil }
        return try scalar(entry, expected: "a string")
    }

    /// The integer under `key`. Whole numbers written as floats (`1e3`) are accepted; `2.5` is not.
    ///
    /// - Parameters:
    ///   - default: Used when the key is absent or null; when `nil`, the key is required.
    ///   - range: When given, the value read from the file must lie in it.
    public func int(_ key: String, default: Int? = nil, range: ClosedRange<Int>? = nil) throws(ConfigError) -> Int {
        guard let entry = try lookup(key, required: `default` == nil) else { return `default` ?? 0 }
        return try integer(entry.node, mark: entry.keyMark, path: path(key), range: range)
    }

    /// The non-negative integer under `key`, such as a random seed.
    ///
    /// - Parameter default: Used when the key is absent or null; when `nil`, the key is required.
    public func uint64(_ key: String, default: UInt64? = nil) throws(ConfigError) -> UInt64 {
        guard let entry = try lookup(key, required: `default` == nil) else { return `default` ?? 0 }
        let text = try scalar(entry, expected: "a non-negative integer")
        guard let value = ConfigScalar.unsignedInteger(text) else {
            throw valueError(entry, "expected a non-negative integer, got '\(text)'")
        }
        return value
    }

    /// The number under `key`, written as a YAML integer or float (`5`, `0.05`, `1e-3`).
    ///
    /// - Parameters:
    ///   - default: Used when the key is absent or null; when `nil`, the key is required.
    ///   - range: When given, the value read from the file must lie in it.
    public func double(
        _ key: String, default: Double? = nil, range: ClosedRange<Double>? = nil
    ) throws(ConfigError) -> Double {
        guard let entry = try lookup(key, required: `default` == nil) else { return `default` ?? 0 }
        let text = try scalar(entry, expected: "a number")
        guard let value = ConfigScalar.number(text) else {
            throw valueError(entry, "expected a number, got '\(text)'")
        }
        if let range, !range.contains(value) {
            throw valueError(entry, "expected a number in \(range), got \(text)")
        }
        return value
    }

    /// The boolean under `key`: `true`/`false`/`yes`/`no` in any letter case.
    ///
    /// - Parameter default: Used when the key is absent or null; when `nil`, the key is required.
    public func bool(_ key: String, default: Bool? = nil) throws(ConfigError) -> Bool {
        guard let entry = try lookup(key, required: `default` == nil) else { return `default` ?? false }
        let text = try scalar(entry, expected: "a boolean (true/false/yes/no)")
        guard let value = ConfigScalar.boolean(text) else {
            throw valueError(entry, "expected a boolean (true/false/yes/no), got '\(text)'")
        }
        return value
    }

    /// The list of integers under `key`, in block (`- 64`) or flow (`[64, 32]`) style.
    ///
    /// - Parameters:
    ///   - default: Used when the key is absent or null; when `nil`, the key is required.
    ///   - range: When given, every item read from the file must lie in it.
    public func intList(
        _ key: String, default: [Int]? = nil, range: ClosedRange<Int>? = nil
    ) throws(ConfigError) -> [Int] {
        guard let entry = try lookup(key, required: `default` == nil) else { return `default` ?? [] }
        guard case .sequence(let items) = entry.node.value else {
            throw valueError(entry, "expected a list of integers, got \(entry.node.kindDescription)")
        }
        var values: [Int] = []
        values.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let itemPath = ConfigNode.path(path(key), index: index)
            values.append(try integer(item, mark: item.mark, path: itemPath, range: range))
        }
        return values
    }

    /// The mapping under `key`, or `nil` if the key is absent or null.
    ///
    /// - Throws: ``ConfigError`` if the value is present but not a mapping.
    public func optionalSection(_ key: String) throws(ConfigError) -> ConfigSection? {
        guard let entry = try lookup(key, required: false) else { return nil }
        return try sectionValue(entry)
    }

    /// The required mapping under `key`.
    public func section(_ key: String) throws(ConfigError) -> ConfigSection {
        try sectionValue(try required(key))
    }

    // MARK: - Helpers

    private func path(_ key: String) -> String {
        ConfigNode.path(node.path, key: key)
    }

    /// Marks `key` as read and returns its entry if it has a non-null value;
    /// a required key that is absent or null throws instead.
    private func lookup(_ key: String, required isRequired: Bool) throws(ConfigError) -> Entry? {
        if isRequired { return try required(key) }
        markRead(key)
        guard let entry = entry(key), !entry.node.isNull else { return nil }
        return entry
    }

    private func required(_ key: String) throws(ConfigError) -> Entry {
        markRead(key)
        guard let entry = entry(key) else {
            throw ConfigError(mark: node.mark, path: node.path, message: "missing required key '\(key)'")
        }
        if entry.node.isNull {
            throw ConfigError(
                mark: entry.keyMark, path: path(key), message: "missing value for required key '\(key)'")
        }
        return entry
    }

    private func sectionValue(_ entry: Entry) throws(ConfigError) -> ConfigSection {
        guard case .mapping = entry.node.value else {
            throw valueError(entry, "expected a mapping, got \(entry.node.kindDescription)")
        }
        return try child(entry.key, node: entry.node)
    }

    private func scalar(_ entry: Entry, expected: String) throws(ConfigError) -> String {
        guard let text = entry.node.scalarText else {
            throw valueError(entry, "expected \(expected), got \(entry.node.kindDescription)")
        }
        return text
    }

    private func integer(
        _ item: ConfigNode, mark: SourceMark, path: String, range: ClosedRange<Int>?
    ) throws(ConfigError) -> Int {
        let location = Self.valueMark(item, keyMark: mark)
        guard let text = item.scalarText else {
            throw ConfigError(mark: location, path: path, message: "expected an integer, got \(item.kindDescription)")
        }
        guard let value = ConfigScalar.integer(text) else {
            throw ConfigError(mark: location, path: path, message: "expected an integer, got '\(text)'")
        }
        if let range, !range.contains(value) {
            throw ConfigError(mark: location, path: path, message: "expected an integer in \(range), got \(text)")
        }
        return value
    }

    private func valueError(_ entry: Entry, _ message: String) -> ConfigError {
        ConfigError(mark: Self.valueMark(entry.node, keyMark: entry.keyMark), path: path(entry.key), message: message)
    }

    /// Scalars are reported where they are written; collections at their key,
    /// because a block collection only starts on the line after it.
    private static func valueMark(_ value: ConfigNode, keyMark: SourceMark) -> SourceMark {
        value.scalarText == nil ? keyMark : value.mark
    }

    private static func quotedList(_ values: [String]) -> String {
        values.map { "'\($0)'" }.joined(separator: ", ")
    }
}
