import FedCore
import Foundation
import Testing

@Suite struct BLASTimerTests {
    static func multiplySquare(_ size: Int) {
        let a = [Float](repeating: 0.5, count: size * size)
        var c = [Float](repeating: 0, count: size * size)
        a.withUnsafeBufferPointer { ap in
            c.withUnsafeMutableBufferPointer { cp in
                Matmul.gemm(.none, .none, m: size, n: size, k: size, a: ap.baseAddress!, b: ap.baseAddress!, c: cp.baseAddress!)
            }
        }
    }

    @Test func gemm_isChargedToTheCallingThread_andNotBeyondTheWallClock() {
        let before = BLASTimer.nanoseconds
        let wallStart = BLASTimer.monotonicNanoseconds()
        Self.multiplySquare(128)
        let charged = BLASTimer.nanoseconds - before
        let wall = BLASTimer.monotonicNanoseconds() - wallStart
        #expect(charged > 0)
        #expect(charged <= wall)
    }

    @Test func anotherThreadsGemm_isNotChargedHere() {
        let before = BLASTimer.nanoseconds
        let done = DispatchSemaphore(value: 0)
        let other = Thread {
            let otherBefore = BLASTimer.nanoseconds
            BLASTimerTests.multiplySquare(96)
            precondition(BLASTimer.nanoseconds > otherBefore, "the other thread is charged for its own call")
            done.signal()
        }
        other.start()
        done.wait()
        #expect(BLASTimer.nanoseconds == before)
    }
}
