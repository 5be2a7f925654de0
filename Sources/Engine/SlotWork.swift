/// The slots a parallel build holds beyond its own: work for the estimate
/// (the slots are taken from other ports) but not time on a chain (the
/// port itself is not slower). A path's known extra comes from its
/// history (its build's time at its cores, times the cores beyond one);
/// a `parallel` port without one counts `parallelShare` of its weight,
/// which the run learns from the parallel ports it built.
extension BuildEngine {
    /// Slot-seconds beyond one by canonical path, at speed factor 1.
    public var parallelExtra: [String: Double] {
        get { book.extra }
        set { book.extra = newValue; remainingTrack.stale = true }
    }

    /// Extra slot-seconds per second of weight of a parallel port whose
    /// extra is not known.
    public var parallelShare: Double {
        get { book.parallelShare }
        set { setLearned(\.parallelShare, newValue) }
    }

    /// The part of a known extra that builds really hold (a build that
    /// waits for slots runs on fewer for a while), learned by the run.
    public var parallelHeldPart: Double {
        get { book.heldPart }
        set { setLearned(\.heldPart, newValue) }
    }

    /// A learned value that changed calls for a full pass of the estimate.
    private func setLearned(_ key: WritableKeyPath<WeightBook, Double>, _ value: Double) {
        guard value != book[keyPath: key] else { return }
        book[keyPath: key] = value
        remainingTrack.stale = true
    }

    /// Slot-seconds node `i` holds beyond its one slot.
    func extraWork(_ i: Int) -> Double {
        if let x = book.extra[nodes[i].path.canonical] { return x * book.heldPart * nodes[i].scale }
        guard book.parallelShare > 0, let r = nodes[i].record,
              r.has(property: "parallel") || r.has(property: "parallel2") else { return 0 }
        return book.parallelShare * weight(i)
    }

    /// What is still to be held beyond one slot by node `i`: all of its
    /// extra while it is pending or running (a running build counts its
    /// extra to its end, which errs on the long side by at most one build).
    func extraLeft(_ i: Int) -> Double { pendingKind(i) == 0 ? 0 : extraWork(i) }
}
