#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A mapping node whose keys are read one by one; `finish()` then rejects any key nobody read.
///
/// Every accessor records the key it was asked for, whether or not the key is
/// present, so that ``finish()`` can suggest the intended spelling of a key it
/// does not know. A value of `null`, `~` or nothing at all counts as absent.
///
/// Sections handed out by ``section(_:)`` and ``optionalSection(_:)`` are kept,
/// so asking twice returns the same section. Each section is finished on its
/// own: a parent's ``finish()`` does not look inside its children, because some
/// sections are read later by other code (an algorithm reading its own keys).
public final class ConfigSection: @unchecked Sendable {
    /// The mapping node this section reads.
    public let node: ConfigNode

    struct Entry {
        var key: String
        var keyMark: SourceMark
        var node: ConfigNode
    }

    let entries: [Entry]
    private let indexByKey: [String: Int]

    // Access to the mutable bookkeeping below goes through `lock`, which is what
    // makes the `@unchecked Sendable` conformance sound.
    private let lock = SectionLock()
    // Keys any accessor was asked for, in the order first asked; present or not,
    // they count as read.
    private var knownKeys: [String] = []
    private var knownKeySet: Set<String> = []
    private var children: [String: ConfigSection] = [:]

    /// Wraps a mapping node.
    ///
    /// - Throws: ``ConfigError`` if `node` is not a mapping, or if the mapping
    ///   repeats a key (reported at the repeated occurrence).
    public init(_ node: ConfigNode) throws(ConfigError) {
        guard case .mapping(let pairs) = node.value else {
            throw ConfigError(
                mark: node.mark, path: node.path, message: "expected a mapping, got \(node.kindDescription)")
        }
        var index: [String: Int] = [:]
        for (position, pair) in pairs.enumerated() {
            if let earlier = index[pair.key] {
                let first = pairs[earlier].keyMark
                throw ConfigError(
                    mark: pair.keyMark, path: ConfigNode.path(node.path, key: pair.key),
                    message: "duplicate key '\(pair.key)' (first defined at line \(first.line))")
            }
            index[pair.key] = position
        }
        self.node = node
        self.entries = pairs.map { Entry(key: $0.key, keyMark: $0.keyMark, node: $0.node) }
        self.indexByKey = index
    }

    /// Whether `key` is present with a non-null value.
    ///
    /// Asking counts as reading the key: code that checks for a key knows it,
    /// so ``finish()`` will not call it unknown.
    public func has(_ key: String) -> Bool {
        markRead(key)
        guard let entry = entry(key) else { return false }
        return !entry.node.isNull
    }

    /// The node stored under `key`, null or not, or `nil` if the key is absent.
    ///
    /// The key counts as read, so ``finish()`` will not reject it.
    public func rawNode(_ key: String) -> ConfigNode? {
        markRead(key)
        return entry(key)?.node
    }

    /// An error located at `key` if it is present, otherwise at this section.
    ///
    /// Use it for problems the typed accessors cannot see, such as two keys that
    /// contradict each other.
    public func error(_ key: String?, _ message: String) -> ConfigError {
        guard let key else {
            return ConfigError(mark: node.mark, path: node.path, message: message)
        }
        let mark = entry(key)?.keyMark ?? node.mark
        return ConfigError(mark: mark, path: ConfigNode.path(node.path, key: key), message: message)
    }

    /// Throws for the first key that was never read, naming its line and suggesting the closest known key
    /// ("unknown key 'lerning_rate'; did you mean 'learning_rate'? known keys: ...").
    /// Known keys = every key passed to any accessor so far.
    ///
    /// Only this section's own keys are checked; call `finish()` on each nested section too.
    public func finish() throws(ConfigError) {
        let (known, knownSet) = snapshot()
        for entry in entries {
            if knownSet.contains(entry.key) { continue }
            throw ConfigError(
                mark: entry.keyMark, path: ConfigNode.path(node.path, key: entry.key),
                message: Self.unknownKeyMessage(entry.key, known: known))
        }
    }

    static func unknownKeyMessage(_ key: String, known: [String]) -> String {
        guard !known.isEmpty else {
            return "unknown key '\(key)'; no keys are expected here"
        }
        let list = known.joined(separator: ", ")
        if let suggestion = ConfigScalar.closest(to: key, among: known) {
            return "unknown key '\(key)'; did you mean '\(suggestion)'? known keys: \(list)"
        }
        return "unknown key '\(key)'; known keys: \(list)"
    }

    // MARK: - Bookkeeping shared with the typed accessors

    func entry(_ key: String) -> Entry? {
        indexByKey[key].map { entries[$0] }
    }

    func markRead(_ key: String) {
        lock.lock()
        defer { lock.unlock() }
        if knownKeySet.insert(key).inserted {
            knownKeys.append(key)
        }
    }

    /// The child section for `key`, created on first use so that read marks
    /// made through it survive later lookups.
    func child(_ key: String, node: ConfigNode) throws(ConfigError) -> ConfigSection {
        if let existing = existingChild(key) { return existing }
        let created = try ConfigSection(node)
        lock.lock()
        defer { lock.unlock() }
        // Another caller may have created it meanwhile; keep whichever came first.
        if let existing = children[key] { return existing }
        children[key] = created
        return created
    }

    private func existingChild(_ key: String) -> ConfigSection? {
        lock.lock()
        defer { lock.unlock() }
        return children[key]
    }

    private func snapshot() -> ([String], Set<String>) {
        lock.lock()
        defer { lock.unlock() }
        return (knownKeys, knownKeySet)
    }
}

/// A plain mutex, so FedCore needs no Foundation for `NSLock`.
///
/// The mutex lives at a fixed heap address because pthread mutexes must not move.
private final class SectionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    func lock() {
        pthread_mutex_lock(mutex)
    }

    func unlock() {
        pthread_mutex_unlock(mutex)
    }
}
