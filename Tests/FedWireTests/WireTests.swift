import FedAlgorithms
import FedCore
import FedWire
import Foundation
import Testing

private func bits(_ tensor: NamedTensor) -> [UInt32] { tensor.values.map(\.bitPattern) }

/// A task envelope from the coordinator to `receiver`.
private func taskEnvelope(receiver: String, seq: UInt64, task: ClientTask) -> Fedsim_V1_Envelope {
    var envelope = Fedsim_V1_Envelope()
    envelope.runID = "run-20240101-abc"
    envelope.sender = "coordinator"
    envelope.receiver = receiver
    envelope.round = 12
    envelope.phase = "train"
    envelope.seq = seq
    envelope.attempt = 1
    envelope.body = .task(task.wireTask())
    return envelope
}

private let sampleTask = ClientTask(
    clientID: 17,
    tensors: [
        NamedTensor(name: "layer0.weight", shape: [3, 2], values: [1, -2, 0.5, 1e-3, -0.0, 7]),
        NamedTensor(name: "layer0.bias", shape: [2], values: [0.25, -0.125]),
    ],
    config: ["lr": 0.1, "mu": 0.01])

@Suite struct TensorWireTests {
    static let specials: [Float] = [
        0, -0.0, 1, -1, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude / 3,
        .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .ulpOfOne, 1 / 3,
    ]

    @Test(arguments: [[1], [12], [3, 4], [2, 1, 6], [1, 1, 1, 12], []] as [[Int]])
    func tensor_roundTrip_isBitExact(shape: [Int]) throws {
        let count = shape.reduce(1, *)
        var rng = RNGStream(seed: UInt64(shape.count + count), purpose: .custom)
        let values = (0..<count).map { i in
            i < Self.specials.count ? Self.specials[i] : Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0xFF7F_FFFF)
        }
        let original = NamedTensor(name: "t\(shape)", shape: shape, values: values)
        let wire = original.wireTensor()
        #expect(wire.dtype == .float32)
        #expect(wire.data.count == 4 * count)
        let decoded = try NamedTensor(wire: wire, requireFinite: true)
        #expect(decoded.name == original.name && decoded.shape == original.shape)
        #expect(bits(decoded) == bits(original))
    }

    @Test func tensor_rawBytes_areLittleEndianFloat32() {
        // 1.0 = 0x3F800000 and −2.0 = 0xC0000000, least significant byte first.
        let wire = NamedTensor(name: "x", shape: [2], values: [1, -2]).wireTensor()
        #expect(Array(wire.data) == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
        #expect(wire.shape == [2])
    }

    @Test func tensor_nonFiniteValues_surviveWhenNotRequiredFinite() throws {
        let nan = Float(bitPattern: 0x7FC0_1234)
        let original = NamedTensor(name: "x", shape: [3], values: [nan, .infinity, -.infinity])
        let decoded = try NamedTensor(wire: original.wireTensor(), requireFinite: false)
        #expect(bits(decoded) == bits(original))
    }

    @Test(arguments: [(0, Float.nan), (2, .infinity), (4, -.infinity)])
    func tensor_nonFiniteValue_isRejectedWithItsIndexWhenRequiredFinite(index: Int, value: Float) {
        var values: [Float] = [1, 2, 3, 4, 5]
        values[index] = value
        let wire = NamedTensor(name: "w", shape: [5], values: values).wireTensor()
        let error = #expect(throws: WireError.self) { try NamedTensor(wire: wire, requireFinite: true) }
        #expect(error == .nonFinite(name: "w", index: index))
    }

    @Test(arguments: [Fedsim_V1_DType.float64, .unspecified, .int32, .uint8])
    func tensor_withDTypeOtherThanFloat32_isRejected(dtype: Fedsim_V1_DType) {
        var wire = NamedTensor(name: "w", shape: [2], values: [1, 2]).wireTensor()
        wire.dtype = dtype
        expectBadTensor(wire)
    }

    @Test(arguments: [-4, -1, 1, 4])
    func tensor_withByteCountNotMatchingShape_isRejected(delta: Int) {
        var wire = NamedTensor(name: "w", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]).wireTensor()
        if delta < 0 { wire.data = wire.data.prefix(wire.data.count + delta) } else { wire.data.append(Data(count: delta)) }
        expectBadTensor(wire)
    }

    @Test(arguments: [[0], [2, 0], [-1, -1], [-2, 3, -2], [Int64(Int32.max) + 1], [1 << 20, 1 << 20]] as [[Int64]])
    func tensor_withZeroNegativeOrHugeDimension_isRejected(shape: [Int64]) {
        var wire = NamedTensor(name: "w", shape: [1], values: [1]).wireTensor()
        wire.shape = shape
        // Where the product of the dimensions is small and non-negative, send exactly that many
        // values, so only the dimension check can reject the tensor.
        let product = shape.reduce(1, *)
        wire.data = Data(count: 4 * (product >= 0 && product <= 1_000 ? Int(product) : 1))
        expectBadTensor(wire)
    }

    @Test func tensor_withMoreThanEightDimensions_isRejected() {
        var wire = NamedTensor(name: "w", shape: [1], values: [1]).wireTensor()
        wire.shape = [Int64](repeating: 1, count: 9)
        expectBadTensor(wire)
    }

    private func expectBadTensor(_ wire: Fedsim_V1_Tensor, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: WireError.self, sourceLocation: sourceLocation) { try NamedTensor(wire: wire, requireFinite: false) }
        #expect(error?.code == "bad_tensor", "got \(String(describing: error))", sourceLocation: sourceLocation)
    }
}

@Suite struct MessageWireTests {
    @Test func clientTask_throughEnvelopeBytes_roundTrips() throws {
        let bytes = EnvelopeCodec.encode(taskEnvelope(receiver: "client-17", seq: 5, task: sampleTask))
        let envelope = try EnvelopeCodec.decode(bytes, limit: 1 << 20)
        guard case let .task(body)? = envelope.body else {
            Issue.record("expected a task body, got \(String(describing: envelope.body))")
            return
        }
        let decoded = try ClientTask(wire: body)
        #expect(decoded == sampleTask)
        #expect(decoded.tensors.map(bits) == sampleTask.tensors.map(bits))
    }

    @Test func clientTask_withNonFiniteTensor_isRejected() {
        var task = sampleTask
        task.tensors[1].values[0] = .nan
        let error = #expect(throws: WireError.self) { try ClientTask(wire: task.wireTask()) }
        #expect(error == .nonFinite(name: "layer0.bias", index: 0))
    }

    @Test func clientUpdate_roundTrips() throws {
        let update = ClientUpdate(clientID: 9, numSamples: 1_234, tensors: sampleTask.tensors,
                                  metrics: ["train_loss": 0.6931, "steps": 40])
        var envelope = Fedsim_V1_Envelope()
        envelope.body = .update(update.wireUpdate())
        let decoded = try EnvelopeCodec.decode(EnvelopeCodec.encode(envelope), limit: 1 << 20)
        #expect(try ClientUpdate(wire: decoded.update) == update)
    }

    @Test func sparseRows_roundTripWithTheirIds() throws {
        let rows = NamedTensor(name: "item_embedding", shape: [3, 2], values: [1, 2, 3, 4, 5, 6], rowIDs: [0, 7, 1_000_000])
        let update = ClientUpdate(clientID: 3, numSamples: 12, tensors: [rows])
        var envelope = Fedsim_V1_Envelope()
        envelope.body = .update(update.wireUpdate())
        let decoded = try ClientUpdate(wire: EnvelopeCodec.decode(EnvelopeCodec.encode(envelope), limit: 1 << 20).update)
        #expect(decoded == update && decoded.tensors[0].rowIDs == [0, 7, 1_000_000])
        // A whole tensor carries no ids.
        #expect(sampleTask.tensors[0].wireTensor().rowIds.isEmpty)
    }

    @Test(arguments: [[0, 1], [0, 1, 2, 3], [UInt32.max, 1, 2]] as [[UInt32]])
    func sparseRows_whoseIdsDoNotMatchTheRows_areRejected(ids: [UInt32]) {
        var wire = NamedTensor(name: "rows", shape: [3, 2], values: [1, 2, 3, 4, 5, 6]).wireTensor()
        wire.rowIds = ids
        #expect(throws: WireError.self) { try NamedTensor(wire: wire, requireFinite: true) }
    }

    @Test func clientUpdate_withZeroSamples_isRejected() {
        var wire = ClientUpdate(clientID: 9, numSamples: 1, tensors: []).wireUpdate()
        wire.numSamples = 0
        let error = #expect(throws: WireError.self) { try ClientUpdate(wire: wire) }
        #expect(error?.code == "missing_field")
    }

    @Test func clientUpdate_withInfiniteMetric_isRejected() {
        let wire = ClientUpdate(clientID: 9, numSamples: 3, tensors: [], metrics: ["train_loss": .infinity]).wireUpdate()
        let error = #expect(throws: WireError.self) { try ClientUpdate(wire: wire) }
        #expect(error?.code == "non_finite")
    }
}

@Suite struct EnvelopeCodecTests {
    @Test func envelope_roundTrip_preservesEveryField() throws {
        let original = taskEnvelope(receiver: "client-17", seq: 42, task: sampleTask)
        let decoded = try EnvelopeCodec.decode(EnvelopeCodec.encode(original), limit: 1 << 20)
        #expect(decoded == original)
        #expect(decoded.runID == "run-20240101-abc" && decoded.seq == 42 && decoded.round == 12 && decoded.phase == "train")
    }

    @Test func decode_knownInvalidBytes_throwsUndecodable() {
        // A varint tag whose continuation bit never clears.
        let error = #expect(throws: WireError.self) { try EnvelopeCodec.decode([0xFF, 0xFF, 0xFF], limit: 1 << 20) }
        #expect(error?.code == "undecodable")
    }

    @Test func decode_randomBytes_throwsUndecodableOrDecodesWithoutCrashing() {
        var rng = RNGStream(seed: 99, purpose: .custom)
        var rejected = 0
        for trial in 0..<3_000 {
            let bytes = (0..<rng.nextInt(below: 80)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            do {
                _ = try EnvelopeCodec.decode(bytes, limit: 1 << 20)
            } catch {
                #expect(error.code == "undecodable", "trial \(trial): \(error)")
                rejected += 1
            }
        }
        #expect(rejected > 1_000, "only \(rejected) of 3000 random strings were rejected")
    }

    @Test func decode_everyStrictPrefixOfValidEnvelope_throwsOrDecodesToSomethingElse() throws {
        let original = taskEnvelope(receiver: "client-17", seq: 7, task: sampleTask)
        let bytes = EnvelopeCodec.encode(original)
        var rejected = 0
        for length in 0..<bytes.count {
            do {
                let decoded = try EnvelopeCodec.decode(Array(bytes[0..<length]), limit: 1 << 20)
                #expect(decoded != original, "prefix of \(length) bytes decoded to the full message")
            } catch {
                #expect(error.code == "undecodable", "prefix \(length): \(error)")
                rejected += 1
            }
        }
        #expect(rejected > 0)
        #expect(try EnvelopeCodec.decode(bytes, limit: 1 << 20) == original)
    }

    @Test func decode_messageOverLimit_throwsTooLargeBeforeParsing() throws {
        let bytes = EnvelopeCodec.encode(taskEnvelope(receiver: "client-17", seq: 1, task: sampleTask))
        let error = #expect(throws: WireError.self) { try EnvelopeCodec.decode(bytes, limit: bytes.count - 1) }
        #expect(error == .tooLarge(bytes: bytes.count, limit: bytes.count - 1))
        _ = try EnvelopeCodec.decode(bytes, limit: bytes.count)
        // The limit applies even to bytes that would not parse.
        let garbage = [UInt8](repeating: 0xFF, count: 64)
        #expect(throws: WireError.tooLarge(bytes: 64, limit: 63)) { try EnvelopeCodec.decode(garbage, limit: 63) }
    }

    @Test func encodedSize_doesNotDependOnSeqOrOnReceiverWithSameDigitCount() {
        var sizes = [String: Int]()
        for receiver in ["client-3", "client-7"] {
            for seq: UInt64 in [1, 1_000_000_000_000, .max] {
                var task = sampleTask
                task.clientID = Int(receiver.dropFirst("client-".count))!
                sizes["\(receiver) seq \(seq)"] = EnvelopeCodec.encode(taskEnvelope(receiver: receiver, seq: seq, task: task)).count
            }
        }
        #expect(Set(sizes.values).count == 1, "\(sizes)")
    }
}

/// Ring tensors (DESIGN §10 integer tensors): UInt64 shares travel bit-exact as their own dtype.
@Suite struct RingTensorWireTests {
    @Test func ringTensor_roundTripsBitExact_includingTheExtremes() throws {
        let tensor = RingTensor(name: "shares", shape: [2, 3], values: [0, 1, UInt64.max, 1 << 63, 0xDEAD_BEEF_0123_4567, 42])
        var envelope = Fedsim_V1_Envelope()
        var share = Fedsim_V1_ShareMessage()
        share.tensors = [tensor.wireTensor()]
        envelope.body = .share(share)
        let decoded = try EnvelopeCodec.decode(EnvelopeCodec.encode(envelope), limit: 1 << 20)
        #expect(try RingTensor(wire: decoded.share.tensors[0]) == tensor)
        #expect(tensor.wireTensor().data.count == 48)
    }

    @Test func ringTensor_refusesFloatsWrongLengthsAndRowIds() {
        #expect(throws: WireError.self) { try RingTensor(wire: NamedTensor(name: "f", shape: [2], values: [1, 2]).wireTensor()) }
        var short = RingTensor(name: "s", shape: [2], values: [1, 2]).wireTensor()
        short.data = short.data.prefix(12)
        #expect(throws: WireError.self) { try RingTensor(wire: short) }
        var rows = RingTensor(name: "r", shape: [1], values: [1]).wireTensor()
        rows.rowIds = [0]
        #expect(throws: WireError.self) { try RingTensor(wire: rows) }
        // A ring tensor is not a float tensor either.
        #expect(throws: WireError.self) { try NamedTensor(wire: RingTensor(name: "u", shape: [1], values: [7]).wireTensor(), requireFinite: true) }
    }
}
