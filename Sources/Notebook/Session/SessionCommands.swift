import Core

extension Session {
    static let sessionCommands: [Command] = [seedCommand, historyCommand, help, clear, quit]

    static let seedCommand = Command(spec: CommandSpec(
        "seed", group: .session,
        summary: "set the seed every random choice draws from: same seed, same numbers",
        usage: "seed N", example: "seed 42",
        positionals: [SeedCommand.n]
    )) { session, arguments, output in
        let seed = UInt64(arguments[SeedCommand.n])
        session.state.seed = seed
        session.state.random = RandomSource(seed: seed)
        session.state.samplesShown = 0
        output.emit(.text(tr("Seed \(seed): weights, shuffling, splits and dropout all draw from it from now on.")))
    }

    static let historyCommand = Command(spec: CommandSpec(
        "history", group: .session,
        summary: "the training history, epoch by epoch (or the commands run so far)",
        usage: "history [commands]", example: "history",
        positionals: [HistoryCommand.what]
    )) { session, arguments, output in
        if arguments[HistoryCommand.what] == .commands {
            guard !session.transcript.isEmpty else { output.emit(.note(tr("No commands yet."))); return }
            output.emit(.text(session.transcript.joined(separator: "\n")))
            return
        }
        guard !session.history.isEmpty else {
            output.emit(.note(tr("No training yet — compile the model, then: train epochs=5")))
            return
        }
        let hasValidation = session.history.contains { $0.validationLoss != nil }
        let rows = session.history.map { record in
            [String(record.epoch) + (record.interrupted ? "*" : ""), String(format: "%.4f", record.loss), String(format: "%.4f", record.accuracy)]
                + (hasValidation ? [record.validationLoss.map { String(format: "%.4f", $0) } ?? "",
                                    record.validationAccuracy.map { String(format: "%.4f", $0) } ?? ""] : [])
                + [formatDuration(record.seconds)]
        }
        // Keras's History keys stay as Keras writes them; epoch and time are words.
        let headers = [tr("epoch"), "loss", "accuracy"] + (hasValidation ? ["val_loss", "val_accuracy"] : []) + [tr("time")]
        let footer = session.history.contains(where: \.interrupted)
            ? [tr("* interrupted by Ctrl-C: loss and accuracy over the batches it took")] : []
        output.emit(.table(Table(headers: headers, rows: rows, alignments: headers.map { _ in .right }, footer: footer)))
    }

    static let help = Command(spec: CommandSpec(
        "help", group: .session,
        summary: "list the commands, or explain one ('?' is the same)",
        usage: "help [command]  ·  ? [command]", example: "help train",
        positionals: [HelpCommand.command]
    )) { _, arguments, output in
        guard let name = arguments[HelpCommand.command]?.name.lowercased() else {
            for group in CommandGroup.allCases {
                let specs = Session.specs.filter { $0.group == group }
                if specs.isEmpty { continue }
                let width = Session.specs.map(\.name.count).max()!
                output.emit(.text(trText(group.rawValue.capitalized) + "\n" + specs.map {
                    "  " + $0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + trText($0.summary)
                }.joined(separator: "\n")))
            }
            output.emit(.note(tr("'help COMMAND' explains one, e.g. help train.")))
            return
        }
        guard let command = Session.command(named: name) else {
            let hint = suggestion(for: name, among: Session.specs.map(\.name)).map { tr(" (did you mean '\($0)'?)") } ?? ""
            throw arguments.error(tr("no command '\(name)'\(hint)"), at: HelpCommand.command)
        }
        let spec = command.spec
        // The usage and the example are the command language itself: they stay as typed.
        output.emit(.text(tr("\(spec.name) — \(trText(spec.summary))\n\nusage:   \(spec.usage)\nexample: \(spec.example)")))
        if !spec.options.isEmpty {
            output.emit(.table(Table(headers: [tr("option"), tr("value"), tr("default"), ""], rows: spec.options.map { option in
                [option.name, option.placeholder, option.defaultText.map(trText) ?? "",
                 trText(option.help) + (option.only.map { " (\(spec.name) \($0.joined(separator: "/")))" } ?? "")]
            })))
        }
    }

    static let clear = Command(spec: CommandSpec(
        "clear", group: .session,
        summary: "clear the screen (Ctrl-L does too); a notebook ignores it",
        usage: "clear", example: "clear"
    )) { session, _, _ in
        session.state.wantsClearScreen = true
    }

    static let quit = Command(spec: CommandSpec(
        "quit", group: .session,
        summary: "leave Caderno (Ctrl-D does too); 'exit' is the same",
        usage: "quit", example: "quit"
    )) { session, arguments, _ in
        // A notebook runs to its end; a 'quit' in one would skip the rest and still report success.
        if session.notebookDirectory != nil { throw arguments.error(tr("'quit' leaves the REPL; a notebook runs to its end — remove this line")) }
        session.state.wantsToQuit = true
    }
}

private enum SeedCommand {
    static let n = Argument<Int>(required: "n", .within(0...999_999_999_999_999), "the seed, a whole number ≥ 0")
}

private enum HistoryCommand {
    enum What: String, Choice { case training, commands }
    static let what = Argument<What>("what", default: .training, "training or commands")
}

private enum HelpCommand {
    static let command = Argument<CommandName?>("command", "a command name")
}

/// A command's name as `help` takes it: any word (an unknown one gets "did you mean"), completed
/// from the commands there are.
struct CommandName: ArgumentValue {
    let name: String
    static func parse(_ argument: CommandArgument) throws -> CommandName { CommandName(name: argument.text) }
    static var placeholder: String { "COMMAND" }
    static var completion: Completion { .words(Session.specs.map(\.name)) }
    var shown: String { name }
}
