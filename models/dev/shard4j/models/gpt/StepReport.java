package dev.shard4j.models.gpt;

/**
 * One optimizer step as rank 0 saw it, for progress lines and the metrics file.
 *
 * @param step the step, from 1
 * @param loss the mean training loss of the step's global batch, before the update
 * @param gradNorm the global gradient norm before clipping
 * @param lr the learning rate the step used
 * @param valLoss the validation loss after the step, or NaN when not evaluated
 * @param tokensPerSecond the step's tokens over every rank, per second of its wall time
 * @param statesPeakBytes rank 0's peak bytes of model states so far (parameters, gradients, moments)
 * @param activationsPeakBytes rank 0's peak bytes of activations and temporaries so far
 * @param seconds the step's wall time
 */
public record StepReport(int step, double loss, double gradNorm, double lr, double valLoss, double tokensPerSecond,
    long statesPeakBytes, long activationsPeakBytes, double seconds) {}
