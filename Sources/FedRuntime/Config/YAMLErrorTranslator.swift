import FedCore
import Yams

/// Turns Yams' errors into ``ConfigError`` values with 1-based positions.
enum YAMLErrorTranslator {
    static func translate(_ error: YamlError, text: String, file: String) -> ConfigError {
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context {
                let place = "\(context.text) at line \(context.mark.line), column \(context.mark.column)"
                // libyaml phrases some problems as the second half of a sentence
                // ("but found another document"), which reads right only after the context.
                message = problem.hasPrefix("but ")
                    ? "YAML syntax error: \(place), \(problem)"
                    : "\(message) (\(place))"
            }
            return ConfigError(mark: YAMLConfigLoader.sourceMark(mark, file: file), path: "", message: message)
        case let .reader(problem, offset, _, _):
            let (line, column) = offset.map { position(ofCharacterOffset: $0, in: text) } ?? (1, 1)
            return ConfigError(
                mark: SourceMark(file: file, line: line, column: column), path: "",
                message: "unreadable YAML input: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? ""
            return DuplicateKeyLocator.error(key: key, firstMark: context.mark, text: text, file: file)
        default:
            return ConfigError(
                mark: SourceMark(file: file, line: 1, column: 1), path: "",
                message: "cannot parse YAML: \(error)")
        }
    }

    private static func position(ofCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character.isNewline {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return (line, column)
    }
}

/// Finds where a key repeats in a mapping.
///
/// Yams rejects duplicate keys but only reports the first occurrence. To point at
/// the repeat instead, the first occurrence is renamed by inserting a marker in
/// front of it and the text is composed again; the repeat is then the next key of
/// the same name in the mapping that holds the marker. Further duplicates met on
/// the way are renamed too, and every insertion is undone when converting marks back.
enum DuplicateKeyLocator {
    private static let markerPrefix = "zfedsimdup"
    private static let maximumRounds = 32

    private struct Insertion {
        var line: Int
        var column: Int
        var length: Int
    }

    static func error(key: String, firstMark: Yams.Mark, text: String, file: String) -> ConfigError {
        let message = "duplicate key '\(key)' (first defined at line \(firstMark.line))"
        let fallback = ConfigError(mark: YAMLConfigLoader.sourceMark(firstMark, file: file), path: "", message: message)
        var edited = text
        var insertions: [Insertion] = []
        var nextMark = firstMark
        for round in 0..<maximumRounds {
            let marker = "\(markerPrefix)\(round)z"
            guard let index = index(line: nextMark.line, column: nextMark.column, in: edited) else { return fallback }
            edited.insert(contentsOf: marker, at: index)
            insertions.append(Insertion(line: nextMark.line, column: nextMark.column, length: marker.count))
            do {
                guard let root = try Yams.compose(yaml: edited),
                      let (repeatMark, path) = findRepeat(of: key, in: root, path: "")
                else { return fallback }
                let original = restore(repeatMark, undoing: insertions)
                return ConfigError(
                    mark: SourceMark(file: file, line: original.line, column: original.column),
                    path: path, message: message)
            } catch YamlError.duplicatedKeysInMapping(_, let context) {
                nextMark = context.mark
            } catch {
                return fallback
            }
        }
        return fallback
    }

    /// The mark and key path of the first key after the one renamed in round 0
    /// that spells `key`, in the mapping holding that renamed key.
    private static func findRepeat(of key: String, in node: Yams.Node, path: String) -> (Yams.Mark, String)? {
        switch node {
        case .mapping(let mapping):
            let first = "\(markerPrefix)0z"
            if let start = mapping.firstIndex(where: { $0.key.string?.hasPrefix(first) == true }) {
                for pair in mapping[mapping.index(after: start)...] where originalKey(pair.key) == key {
                    guard let mark = pair.key.mark else { return nil }
                    return (mark, ConfigNode.path(path, key: key))
                }
                return nil
            }
            for pair in mapping {
                let childPath = ConfigNode.path(path, key: originalKey(pair.key) ?? "")
                if let found = findRepeat(of: key, in: pair.value, path: childPath) { return found }
            }
            return nil
        case .sequence(let sequence):
            for (offset, item) in sequence.enumerated() {
                if let found = findRepeat(of: key, in: item, path: ConfigNode.path(path, index: offset)) {
                    return found
                }
            }
            return nil
        case .scalar, .alias:
            return nil
        }
    }

    /// The key as written before any marker was inserted in front of it.
    private static func originalKey(_ node: Yams.Node) -> String? {
        guard let text = node.string else { return nil }
        guard text.hasPrefix(markerPrefix),
              let end = text.dropFirst(markerPrefix.count).firstIndex(where: { !$0.isNumber }),
              text[end] == "z"
        else { return text }
        var rest = text[text.index(after: end)...]
        // A quoted key became part of a plain one once the marker went in front of its quote.
        if let quote = rest.first, quote == "\"" || quote == "'", rest.count >= 2, rest.last == quote {
            rest = rest.dropFirst().dropLast()
        }
        return String(rest)
    }

    /// Maps a mark in the edited text back to the original text.
    private static func restore(_ mark: Yams.Mark, undoing insertions: [Insertion]) -> (line: Int, column: Int) {
        var column = mark.column
        for insertion in insertions.reversed() where insertion.line == mark.line && column > insertion.column {
            column -= insertion.length
        }
        return (mark.line, column)
    }

    /// The string index at a 1-based line and column, counting columns in Unicode
    /// scalars and line breaks the way libyaml does.
    private static func index(line: Int, column: Int, in text: String) -> String.Index? {
        let scalars = text.unicodeScalars
        var currentLine = 1
        var currentColumn = 1
        var position = scalars.startIndex
        while position < scalars.endIndex {
            if currentLine == line && currentColumn == column { return position }
            let scalar = scalars[position]
            let next = scalars.index(after: position)
            switch scalar {
            case "\r" where next < scalars.endIndex && scalars[next] == "\n":
                currentColumn += 1
            case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}":
                currentLine += 1
                currentColumn = 1
            default:
                currentColumn += 1
            }
            position = next
        }
        return nil
    }
}
