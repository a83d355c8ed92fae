import Core
import Testing
@testable import Notebook

@Suite struct SummaryTextTests {
    @Test func kerasLikeTotals() throws {
        let model = try Sequential.mlp([784, 128, 64, 10], random: RandomSource(seed: 1))
        let lines = renderSummary(model.summary()).split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("Layer (type)"))
        #expect(lines[2].hasPrefix("dense (Dense)"))
        #expect(lines[2].contains("(None, 128)"))
        #expect(lines[2].hasSuffix("100,480"))
        #expect(lines.suffix(3) == [
            "Total params: 109,386 (427.29 KB)",
            "Trainable params: 109,386 (427.29 KB)",
            "Non-trainable params: 0 (0.00 B)",
        ])
        // Every row lines up: the parameter column is right-aligned to one width.
        #expect(Set(lines[2..<8].map(\.count)).count == 1)
    }

    @Test func numbersAndSizes() {
        #expect(groupedThousands(0) == "0")
        #expect(groupedThousands(999) == "999")
        #expect(groupedThousands(1_000) == "1,000")
        #expect(groupedThousands(389_130) == "389,130")
        #expect(groupedThousands(-1_234_567) == "-1,234,567")
        #expect(readableBytes(0) == "0.00 B")
        #expect(readableBytes(139_304) == "136.04 KB")        // the Keras example CNN: 34,826 params
        #expect(readableBytes(1_556_520) == "1.48 MB")        // the deep CNN: 389,130 params
    }
}
