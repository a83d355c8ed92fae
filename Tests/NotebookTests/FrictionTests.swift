import Core
import Foundation
import Testing
@testable import Notebook

/// What a newcomer types in the first hour, and what Caderno answers.
@Suite struct FrictionTests {
    @Test func aQuestionMarkIsHelp() throws {
        let h = try SessionHarness()
        #expect(try h.run("?") == h.run("help"))
        #expect(try h.run("? train") == h.run("help train"))
        #expect(throws: CommandError.self) { try h.run("? trian") }
    }

    @Test func clearAsksTheREPLAndChangesNothingElse() throws {
        let h = try SessionHarness()
        try h.run("seed 3")
        let before = AllOrNothingTests.Fingerprint(h.session)
        #expect(try h.run("clear").isEmpty)
        #expect(h.session.takeClearScreen() && !h.session.takeClearScreen(), "asked once, then reset")
        #expect(AllOrNothingTests.Fingerprint(h.session) == before)
        #expect(h.session.transcript == ["seed 3"], "not part of the work an export keeps")
    }

    /// Replacing a trained model says what is lost, and how to keep it next time — not after a save.
    @Test func buildSaysWhatItDiscards() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "build mlp 36-8-3")
        #expect(!(try h.run("build mlp 36-8-3")).contains("replaced"), "an untrained model is no loss")
        try h.run("compile lr=0.1", "train epochs=2 batch=16")
        let suggested = h.session.suggestedModelName()   // the discarded model's name, asked before it goes
        #expect(suggested.hasSuffix("-mlp-36-8-3"))
        let note = try h.run("build mlp 36-16-3")
        #expect(note.contains("The model trained before (2 epochs, accuracy "), "\(note)")
        #expect(note.hasSuffix("save model \(suggested).safetensors"), "\(note)")
        try h.run("compile lr=0.1", "train epochs=1 batch=16", "save model kept.safetensors")
        #expect(!(try h.run("build input 6x6x1")).contains("replaced"), "saved since it trained")
    }

    @Test func earlyStopNeedsAValidationSet() throws {
        let h = try SessionHarness()
        try h.run("load idx .", "normalize", "build mlp 36-8-3", "compile lr=0.1")
        let before = AllOrNothingTests.Fingerprint(h.session)
        do {
            try h.run("train epochs=5 early-stop=2")
            Issue.record("trained without a validation set")
        } catch let error as CommandError {
            #expect(error.message.contains("there is no validation set: run split validation=0.1 first, or add validation=0.1"))
            #expect(error.description.contains("early-stop=2\n") && error.description.hasSuffix("\n" + String(repeating: " ", count: 28) + "^"), "the caret under the 2")
        }
        #expect(AllOrNothingTests.Fingerprint(h.session) == before)
        #expect(throws: CommandError.self) { try h.run("sweep lr=0.1,0.2 epochs=2 early-stop=1") }
        #expect(try h.run("train epochs=2 early-stop=1 validation=0.2").contains("Epoch 1/2"))
    }
}
