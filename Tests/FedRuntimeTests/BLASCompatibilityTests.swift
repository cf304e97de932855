@testable import FedRuntime
import FedCore
import FedWire
import Testing

/// The join-time check that keeps processes on different BLAS kernels out of one run.
@Suite struct BLASCompatibilityTests {
    func join(core: String, library: String = "", machine: String = "") -> Fedsim_V1_Join {
        var join = Fedsim_V1_Join()
        join.workerName = "w"
        join.blasCore = core
        join.blasLibrary = library
        join.machine = machine
        return join
    }

    @Test func sameKernelsAndLibrary_areAdmitted() {
        #expect(BLASCompatibility.mismatch(worker: join(core: "Haswell", library: "OpenBLAS 0.3.21", machine: "x86_64"),
                                           coordinatorCore: "Haswell", coordinatorLibrary: "OpenBLAS 0.3.21",
                                           coordinatorMachine: "x86_64") == nil)
    }

    @Test func otherKernelFamily_isRefused_namingBoth() throws {
        let reason = try #require(BLASCompatibility.mismatch(worker: join(core: "SkylakeX", library: "OpenBLAS 0.3.21"),
                                                             coordinatorCore: "Haswell", coordinatorLibrary: "OpenBLAS 0.3.21"))
        #expect(reason.contains("'SkylakeX'") && reason.contains("'Haswell'") && reason.contains("OPENBLAS_CORETYPE"))
    }

    @Test func otherLibraryVersion_withTheSameKernels_isRefused() throws {
        let reason = try #require(BLASCompatibility.mismatch(worker: join(core: "Haswell", library: "OpenBLAS 0.3.26"),
                                                             coordinatorCore: "Haswell", coordinatorLibrary: "OpenBLAS 0.3.21"))
        #expect(reason.contains("OpenBLAS 0.3.26") && reason.contains("OpenBLAS 0.3.21"))
    }

    @Test func otherArchitecture_isNamedInTheRefusal() throws {
        let reason = try #require(BLASCompatibility.mismatch(
            worker: join(core: "NEOVERSEN1", library: "OpenBLAS 0.3.21", machine: "aarch64"),
            coordinatorCore: "Haswell", coordinatorLibrary: "OpenBLAS 0.3.21", coordinatorMachine: "x86_64"))
        #expect(reason.contains("on aarch64 (the coordinator runs on x86_64)"))
    }

    @Test func workerThatReportsNothing_isAdmitted_theCoordinatorWarnsInstead() {
        #expect(BLASCompatibility.mismatch(worker: join(core: ""), coordinatorCore: "Haswell",
                                           coordinatorLibrary: "OpenBLAS 0.3.21") == nil)
    }

    @Test func thisProcess_reportsItsLibraryAndArchitecture() {
        #expect(Matmul.libraryDescription.hasPrefix("OpenBLAS "))
        #expect(!BLASCompatibility.machine.isEmpty)
    }
}
