/* The same work as s4j_abi_version (return a constant) behind a hand-written JNI entry point:
 * the floor that the generated binding and java.lang.foreign are compared with. */
#include <jni.h>

JNIEXPORT jint JNICALL Java_dev_shard4j_jmh_PlainJni_abiVersion(JNIEnv* env, jclass cls) {
  (void)env;
  (void)cls;
  return 2;
}
