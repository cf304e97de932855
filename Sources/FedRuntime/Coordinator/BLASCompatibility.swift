import FedWire
import Foundation

/// Whether a joining worker computes bit-identically to the coordinator.
///
/// Dense products go through OpenBLAS, whose kernels differ per CPU family and may differ per
/// library version; two processes on different kernels round differently and break the determinism
/// contract without any error. The coordinator therefore compares what each worker reports at join
/// time with its own values. A worker that reports nothing (a client written in another language)
/// is admitted with a warning, since nothing is known about it.
enum BLASCompatibility {
    /// The reason `worker` must be refused, or nil when it matches (or did not report its kernels).
    static func mismatch(worker join: Fedsim_V1_Join, coordinatorCore: String, coordinatorLibrary: String,
                         coordinatorMachine: String = machine) -> String? {
        guard !join.blasCore.isEmpty else { return nil }
        let advice = "; results would differ in the last bits. Give every host the same BLAS library and set "
            + "OPENBLAS_CORETYPE to the same value on every host"
        let location = join.machine.isEmpty || join.machine == coordinatorMachine
            ? "" : " on \(join.machine) (the coordinator runs on \(coordinatorMachine))"
        if join.blasCore != coordinatorCore {
            return "uses OpenBLAS kernels '\(join.blasCore)'\(location), the coordinator '\(coordinatorCore)'" + advice
        }
        if !join.blasLibrary.isEmpty && join.blasLibrary != coordinatorLibrary {
            return "uses \(join.blasLibrary)\(location), the coordinator \(coordinatorLibrary)" + advice
        }
        return nil
    }

    /// This process's CPU architecture, as `uname -m` prints it.
    static var machine: String {
        var name = utsname()
        guard uname(&name) == 0 else { return "" }
        return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
