import CZeroMQ

/// Facts about the linked libzmq.
public enum ZMQ {
    /// Whether libzmq was built with `capability`, such as `"ipc"` or `"curve"`.
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }

    /// The version of the libzmq loaded at run time.
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }
}
