class DetectionModel(Module):
  __parameters__ = ["model_0_conv_weight", "model_0_conv_bias", "model_1_conv_weight", "model_1_conv_bias", "model_2_cv1_conv_weight", "model_2_cv1_conv_bias", "model_2_m_0_cv1_conv_weight", "model_2_m_0_cv1_conv_bias", "model_2_m_0_cv2_conv_weight", "model_2_m_0_cv2_conv_bias", "model_2_cv2_conv_weight", "model_2_cv2_conv_bias", "model_3_conv_weight", "model_3_conv_bias", "model_4_cv1_conv_weight", "model_4_cv1_conv_bias", "model_4_m_0_cv1_conv_weight", "model_4_m_0_cv1_conv_bias", "model_4_m_0_cv2_conv_weight", "model_4_m_0_cv2_conv_bias", "model_4_m_1_cv1_conv_weight", "model_4_m_1_cv1_conv_bias", "model_4_m_1_cv2_conv_weight", "model_4_m_1_cv2_conv_bias", "model_4_cv2_conv_weight", "model_4_cv2_conv_bias", "model_5_conv_weight", "model_5_conv_bias", "model_6_cv1_conv_weight", "model_6_cv1_conv_bias", "model_6_m_0_cv1_conv_weight", "model_6_m_0_cv1_conv_bias", "model_6_m_0_cv2_conv_weight", "model_6_m_0_cv2_conv_bias", "model_6_m_1_cv1_conv_weight", "model_6_m_1_cv1_conv_bias", "model_6_m_1_cv2_conv_weight", "model_6_m_1_cv2_conv_bias", "model_6_cv2_conv_weight", "model_6_cv2_conv_bias", "model_7_conv_weight", "model_7_conv_bias", "model_8_cv1_conv_weight", "model_8_cv1_conv_bias", "model_8_m_0_cv1_conv_weight", "model_8_m_0_cv1_conv_bias", "model_8_m_0_cv2_conv_weight", "model_8_m_0_cv2_conv_bias", "model_8_cv2_conv_weight", "model_8_cv2_conv_bias", "model_9_cv1_conv_weight", "model_9_cv1_conv_bias", "model_9_cv2_conv_weight", "model_9_cv2_conv_bias", "model_12_cv1_conv_weight", "model_12_cv1_conv_bias", "model_12_m_0_cv1_conv_weight", "model_12_m_0_cv1_conv_bias", "model_12_m_0_cv2_conv_weight", "model_12_m_0_cv2_conv_bias", "model_12_cv2_conv_weight", "model_12_cv2_conv_bias", "model_15_cv1_conv_weight", "model_15_cv1_conv_bias", "model_15_m_0_cv1_conv_weight", "model_15_m_0_cv1_conv_bias", "model_15_m_0_cv2_conv_weight", "model_15_m_0_cv2_conv_bias", "model_15_cv2_conv_weight", "model_15_cv2_conv_bias", "model_16_conv_weight", "model_16_conv_bias", "model_18_cv1_conv_weight", "model_18_cv1_conv_bias", "model_18_m_0_cv1_conv_weight", "model_18_m_0_cv1_conv_bias", "model_18_m_0_cv2_conv_weight", "model_18_m_0_cv2_conv_bias", "model_18_cv2_conv_weight", "model_18_cv2_conv_bias", "model_19_conv_weight", "model_19_conv_bias", "model_21_cv1_conv_weight", "model_21_cv1_conv_bias", "model_21_m_0_cv1_conv_weight", "model_21_m_0_cv1_conv_bias", "model_21_m_0_cv2_conv_weight", "model_21_m_0_cv2_conv_bias", "model_21_cv2_conv_weight", "model_21_cv2_conv_bias", "model_22_cv2_0_0_conv_weight", "model_22_cv2_0_0_conv_bias", "model_22_cv2_0_1_conv_weight", "model_22_cv2_0_1_conv_bias", "model_22_cv2_0_2_weight", "model_22_cv2_0_2_bias", "model_22_cv3_0_0_conv_weight", "model_22_cv3_0_0_conv_bias", "model_22_cv3_0_1_conv_weight", "model_22_cv3_0_1_conv_bias", "model_22_cv3_0_2_weight", "model_22_cv3_0_2_bias", "model_22_cv2_1_0_conv_weight", "model_22_cv2_1_0_conv_bias", "model_22_cv2_1_1_conv_weight", "model_22_cv2_1_1_conv_bias", "model_22_cv2_1_2_weight", "model_22_cv2_1_2_bias", "model_22_cv3_1_0_conv_weight", "model_22_cv3_1_0_conv_bias", "model_22_cv3_1_1_conv_weight", "model_22_cv3_1_1_conv_bias", "model_22_cv3_1_2_weight", "model_22_cv3_1_2_bias", "model_22_cv2_2_0_conv_weight", "model_22_cv2_2_0_conv_bias", "model_22_cv2_2_1_conv_weight", "model_22_cv2_2_1_conv_bias", "model_22_cv2_2_2_weight", "model_22_cv2_2_2_bias", "model_22_cv3_2_0_conv_weight", "model_22_cv3_2_0_conv_bias", "model_22_cv3_2_1_conv_weight", "model_22_cv3_2_1_conv_bias", "model_22_cv3_2_2_weight", "model_22_cv3_2_2_bias", "model_22_dfl_conv_weight", ]
  __buffers__ = ["model_22_Constant_10", "model_22_Constant_18", "model_22_Constant_26", ]
  model_0_conv_weight : Tensor
  model_0_conv_bias : Tensor
  model_1_conv_weight : Tensor
  model_1_conv_bias : Tensor
  model_2_cv1_conv_weight : Tensor
  model_2_cv1_conv_bias : Tensor
  model_2_m_0_cv1_conv_weight : Tensor
  model_2_m_0_cv1_conv_bias : Tensor
  model_2_m_0_cv2_conv_weight : Tensor
  model_2_m_0_cv2_conv_bias : Tensor
  model_2_cv2_conv_weight : Tensor
  model_2_cv2_conv_bias : Tensor
  model_3_conv_weight : Tensor
  model_3_conv_bias : Tensor
  model_4_cv1_conv_weight : Tensor
  model_4_cv1_conv_bias : Tensor
  model_4_m_0_cv1_conv_weight : Tensor
  model_4_m_0_cv1_conv_bias : Tensor
  model_4_m_0_cv2_conv_weight : Tensor
  model_4_m_0_cv2_conv_bias : Tensor
  model_4_m_1_cv1_conv_weight : Tensor
  model_4_m_1_cv1_conv_bias : Tensor
  model_4_m_1_cv2_conv_weight : Tensor
  model_4_m_1_cv2_conv_bias : Tensor
  model_4_cv2_conv_weight : Tensor
  model_4_cv2_conv_bias : Tensor
  model_5_conv_weight : Tensor
  model_5_conv_bias : Tensor
  model_6_cv1_conv_weight : Tensor
  model_6_cv1_conv_bias : Tensor
  model_6_m_0_cv1_conv_weight : Tensor
  model_6_m_0_cv1_conv_bias : Tensor
  model_6_m_0_cv2_conv_weight : Tensor
  model_6_m_0_cv2_conv_bias : Tensor
  model_6_m_1_cv1_conv_weight : Tensor
  model_6_m_1_cv1_conv_bias : Tensor
  model_6_m_1_cv2_conv_weight : Tensor
  model_6_m_1_cv2_conv_bias : Tensor
  model_6_cv2_conv_weight : Tensor
  model_6_cv2_conv_bias : Tensor
  model_7_conv_weight : Tensor
  model_7_conv_bias : Tensor
  model_8_cv1_conv_weight : Tensor
  model_8_cv1_conv_bias : Tensor
  model_8_m_0_cv1_conv_weight : Tensor
  model_8_m_0_cv1_conv_bias : Tensor
  model_8_m_0_cv2_conv_weight : Tensor
  model_8_m_0_cv2_conv_bias : Tensor
  model_8_cv2_conv_weight : Tensor
  model_8_cv2_conv_bias : Tensor
  model_9_cv1_conv_weight : Tensor
  model_9_cv1_conv_bias : Tensor
  model_9_cv2_conv_weight : Tensor
  model_9_cv2_conv_bias : Tensor
  model_12_cv1_conv_weight : Tensor
  model_12_cv1_conv_bias : Tensor
  model_12_m_0_cv1_conv_weight : Tensor
  model_12_m_0_cv1_conv_bias : Tensor
  model_12_m_0_cv2_conv_weight : Tensor
  model_12_m_0_cv2_conv_bias : Tensor
  model_12_cv2_conv_weight : Tensor
  model_12_cv2_conv_bias : Tensor
  model_15_cv1_conv_weight : Tensor
  model_15_cv1_conv_bias : Tensor
  model_15_m_0_cv1_conv_weight : Tensor
  model_15_m_0_cv1_conv_bias : Tensor
  model_15_m_0_cv2_conv_weight : Tensor
  model_15_m_0_cv2_conv_bias : Tensor
  model_15_cv2_conv_weight : Tensor
  model_15_cv2_conv_bias : Tensor
  model_16_conv_weight : Tensor
  model_16_conv_bias : Tensor
  model_18_cv1_conv_weight : Tensor
  model_18_cv1_conv_bias : Tensor
  model_18_m_0_cv1_conv_weight : Tensor
  model_18_m_0_cv1_conv_bias : Tensor
  model_18_m_0_cv2_conv_weight : Tensor
  model_18_m_0_cv2_conv_bias : Tensor
  model_18_cv2_conv_weight : Tensor
  model_18_cv2_conv_bias : Tensor
  model_19_conv_weight : Tensor
  model_19_conv_bias : Tensor
  model_21_cv1_conv_weight : Tensor
  model_21_cv1_conv_bias : Tensor
  model_21_m_0_cv1_conv_weight : Tensor
  model_21_m_0_cv1_conv_bias : Tensor
  model_21_m_0_cv2_conv_weight : Tensor
  model_21_m_0_cv2_conv_bias : Tensor
  model_21_cv2_conv_weight : Tensor
  model_21_cv2_conv_bias : Tensor
  model_22_cv2_0_0_conv_weight : Tensor
  model_22_cv2_0_0_conv_bias : Tensor
  model_22_cv2_0_1_conv_weight : Tensor
  model_22_cv2_0_1_conv_bias : Tensor
  model_22_cv2_0_2_weight : Tensor
  model_22_cv2_0_2_bias : Tensor
  model_22_cv3_0_0_conv_weight : Tensor
  model_22_cv3_0_0_conv_bias : Tensor
  model_22_cv3_0_1_conv_weight : Tensor
  model_22_cv3_0_1_conv_bias : Tensor
  model_22_cv3_0_2_weight : Tensor
  model_22_cv3_0_2_bias : Tensor
  model_22_cv2_1_0_conv_weight : Tensor
  model_22_cv2_1_0_conv_bias : Tensor
  model_22_cv2_1_1_conv_weight : Tensor
  model_22_cv2_1_1_conv_bias : Tensor
  model_22_cv2_1_2_weight : Tensor
  model_22_cv2_1_2_bias : Tensor
  model_22_cv3_1_0_conv_weight : Tensor
  model_22_cv3_1_0_conv_bias : Tensor
  model_22_cv3_1_1_conv_weight : Tensor
  model_22_cv3_1_1_conv_bias : Tensor
  model_22_cv3_1_2_weight : Tensor
  model_22_cv3_1_2_bias : Tensor
  model_22_cv2_2_0_conv_weight : Tensor
  model_22_cv2_2_0_conv_bias : Tensor
  model_22_cv2_2_1_conv_weight : Tensor
  model_22_cv2_2_1_conv_bias : Tensor
  model_22_cv2_2_2_weight : Tensor
  model_22_cv2_2_2_bias : Tensor
  model_22_cv3_2_0_conv_weight : Tensor
  model_22_cv3_2_0_conv_bias : Tensor
  model_22_cv3_2_1_conv_weight : Tensor
  model_22_cv3_2_1_conv_bias : Tensor
  model_22_cv3_2_2_weight : Tensor
  model_22_cv3_2_2_bias : Tensor
  model_22_dfl_conv_weight : Tensor
  model_22_Constant_10 : Tensor
  model_22_Constant_18 : Tensor
  model_22_Constant_26 : Tensor
  training : bool
  def forward(self: __torch__.yoloport.DetectionModel,
    images: Tensor) -> Tensor:
    x0 = torch.conv2d(images, self.model_0_conv_weight, self.model_0_conv_bias, [2, 2], [1, 1], [1, 1], 1)
    x1 = torch.silu(x0)
    x2 = torch.conv2d(x1, self.model_1_conv_weight, self.model_1_conv_bias, [2, 2], [1, 1], [1, 1], 1)
    x3 = torch.silu(x2)
    x4 = torch.conv2d(x3, self.model_2_cv1_conv_weight, self.model_2_cv1_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x5 = torch.silu(x4)
    x6, x7, = torch.split_with_sizes(x5, [16, 16], 1)
    x8 = torch.conv2d(x7, self.model_2_m_0_cv1_conv_weight, self.model_2_m_0_cv1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x9 = torch.silu(x8)
    x10 = torch.conv2d(x9, self.model_2_m_0_cv2_conv_weight, self.model_2_m_0_cv2_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x11 = torch.silu(x10)
    x12 = torch.add(x7, x11)
    x13 = torch.cat([x6, x7, x12], 1)
    x14 = torch.conv2d(x13, self.model_2_cv2_conv_weight, self.model_2_cv2_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x15 = torch.silu(x14)
    x16 = torch.conv2d(x15, self.model_3_conv_weight, self.model_3_conv_bias, [2, 2], [1, 1], [1, 1], 1)
    x17 = torch.silu(x16)
    x18 = torch.conv2d(x17, self.model_4_cv1_conv_weight, self.model_4_cv1_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x19 = torch.silu(x18)
    x20, x21, = torch.split_with_sizes(x19, [32, 32], 1)
    x22 = torch.conv2d(x21, self.model_4_m_0_cv1_conv_weight, self.model_4_m_0_cv1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x23 = torch.silu(x22)
    x24 = torch.conv2d(x23, self.model_4_m_0_cv2_conv_weight, self.model_4_m_0_cv2_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x25 = torch.silu(x24)
    x26 = torch.add(x21, x25)
    x27 = torch.conv2d(x26, self.model_4_m_1_cv1_conv_weight, self.model_4_m_1_cv1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x28 = torch.silu(x27)
    x29 = torch.conv2d(x28, self.model_4_m_1_cv2_conv_weight, self.model_4_m_1_cv2_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x30 = torch.silu(x29)
    x31 = torch.add(x26, x30)
    x32 = torch.cat([x20, x21, x26, x31], 1)
    x33 = torch.conv2d(x32, self.model_4_cv2_conv_weight, self.model_4_cv2_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x34 = torch.silu(x33)
    x35 = torch.conv2d(x34, self.model_5_conv_weight, self.model_5_conv_bias, [2, 2], [1, 1], [1, 1], 1)
    x36 = torch.silu(x35)
    x37 = torch.conv2d(x36, self.model_6_cv1_conv_weight, self.model_6_cv1_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x38 = torch.silu(x37)
    x39, x40, = torch.split_with_sizes(x38, [64, 64], 1)
    x41 = torch.conv2d(x40, self.model_6_m_0_cv1_conv_weight, self.model_6_m_0_cv1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x42 = torch.silu(x41)
    x43 = torch.conv2d(x42, self.model_6_m_0_cv2_conv_weight, self.model_6_m_0_cv2_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x44 = torch.silu(x43)
    x45 = torch.add(x40, x44)
    x46 = torch.conv2d(x45, self.model_6_m_1_cv1_conv_weight, self.model_6_m_1_cv1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x47 = torch.silu(x46)
    x48 = torch.conv2d(x47, self.model_6_m_1_cv2_conv_weight, self.model_6_m_1_cv2_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x49 = torch.silu(x48)
    x50 = torch.add(x45, x49)
    x51 = torch.cat([x39, x40, x45, x50], 1)
    x52 = torch.conv2d(x51, self.model_6_cv2_conv_weight, self.model_6_cv2_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x53 = torch.silu(x52)
    x54 = torch.conv2d(x53, self.model_7_conv_weight, self.model_7_conv_bias, [2, 2], [1, 1], [1, 1], 1)
    x55 = torch.silu(x54)
    x56 = torch.conv2d(x55, self.model_8_cv1_conv_weight, self.model_8_cv1_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x57 = torch.silu(x56)
    x58, x59, = torch.split_with_sizes(x57, [128, 128], 1)
    x60 = torch.conv2d(x59, self.model_8_m_0_cv1_conv_weight, self.model_8_m_0_cv1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x61 = torch.silu(x60)
    x62 = torch.conv2d(x61, self.model_8_m_0_cv2_conv_weight, self.model_8_m_0_cv2_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x63 = torch.silu(x62)
    x64 = torch.add(x59, x63)
    x65 = torch.cat([x58, x59, x64], 1)
    x66 = torch.conv2d(x65, self.model_8_cv2_conv_weight, self.model_8_cv2_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x67 = torch.silu(x66)
    x68 = torch.conv2d(x67, self.model_9_cv1_conv_weight, self.model_9_cv1_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x69 = torch.silu(x68)
    x70 = torch.max_pool2d(x69, [5, 5], [1, 1], [2, 2], [1, 1], False)
    x71 = torch.max_pool2d(x70, [5, 5], [1, 1], [2, 2], [1, 1], False)
    x72 = torch.max_pool2d(x71, [5, 5], [1, 1], [2, 2], [1, 1], False)
    x73 = torch.cat([x69, x70, x71, x72], 1)
    x74 = torch.conv2d(x73, self.model_9_cv2_conv_weight, self.model_9_cv2_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x75 = torch.silu(x74)
    x76 = torch.upsample_nearest2d(x75, None, [2., 2.])
    x77 = torch.cat([x76, x53], 1)
    x78 = torch.conv2d(x77, self.model_12_cv1_conv_weight, self.model_12_cv1_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x79 = torch.silu(x78)
    x80, x81, = torch.split_with_sizes(x79, [64, 64], 1)
    x82 = torch.conv2d(x81, self.model_12_m_0_cv1_conv_weight, self.model_12_m_0_cv1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x83 = torch.silu(x82)
    x84 = torch.conv2d(x83, self.model_12_m_0_cv2_conv_weight, self.model_12_m_0_cv2_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x85 = torch.silu(x84)
    x86 = torch.cat([x80, x81, x85], 1)
    x87 = torch.conv2d(x86, self.model_12_cv2_conv_weight, self.model_12_cv2_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x88 = torch.silu(x87)
    x89 = torch.upsample_nearest2d(x88, None, [2., 2.])
    x90 = torch.cat([x89, x34], 1)
    x91 = torch.conv2d(x90, self.model_15_cv1_conv_weight, self.model_15_cv1_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x92 = torch.silu(x91)
    x93, x94, = torch.split_with_sizes(x92, [32, 32], 1)
    x95 = torch.conv2d(x94, self.model_15_m_0_cv1_conv_weight, self.model_15_m_0_cv1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x96 = torch.silu(x95)
    x97 = torch.conv2d(x96, self.model_15_m_0_cv2_conv_weight, self.model_15_m_0_cv2_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x98 = torch.silu(x97)
    x99 = torch.cat([x93, x94, x98], 1)
    x100 = torch.conv2d(x99, self.model_15_cv2_conv_weight, self.model_15_cv2_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x101 = torch.silu(x100)
    x102 = torch.conv2d(x101, self.model_16_conv_weight, self.model_16_conv_bias, [2, 2], [1, 1], [1, 1], 1)
    x103 = torch.silu(x102)
    x104 = torch.cat([x103, x88], 1)
    x105 = torch.conv2d(x104, self.model_18_cv1_conv_weight, self.model_18_cv1_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x106 = torch.silu(x105)
    x107, x108, = torch.split_with_sizes(x106, [64, 64], 1)
    x109 = torch.conv2d(x108, self.model_18_m_0_cv1_conv_weight, self.model_18_m_0_cv1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x110 = torch.silu(x109)
    x111 = torch.conv2d(x110, self.model_18_m_0_cv2_conv_weight, self.model_18_m_0_cv2_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x112 = torch.silu(x111)
    x113 = torch.cat([x107, x108, x112], 1)
    x114 = torch.conv2d(x113, self.model_18_cv2_conv_weight, self.model_18_cv2_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x115 = torch.silu(x114)
    x116 = torch.conv2d(x115, self.model_19_conv_weight, self.model_19_conv_bias, [2, 2], [1, 1], [1, 1], 1)
    x117 = torch.silu(x116)
    x118 = torch.cat([x117, x75], 1)
    x119 = torch.conv2d(x118, self.model_21_cv1_conv_weight, self.model_21_cv1_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x120 = torch.silu(x119)
    x121, x122, = torch.split_with_sizes(x120, [128, 128], 1)
    x123 = torch.conv2d(x122, self.model_21_m_0_cv1_conv_weight, self.model_21_m_0_cv1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x124 = torch.silu(x123)
    x125 = torch.conv2d(x124, self.model_21_m_0_cv2_conv_weight, self.model_21_m_0_cv2_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x126 = torch.silu(x125)
    x127 = torch.cat([x121, x122, x126], 1)
    x128 = torch.conv2d(x127, self.model_21_cv2_conv_weight, self.model_21_cv2_conv_bias, [1, 1], [0, 0], [1, 1], 1)
    x129 = torch.silu(x128)
    x130 = torch.conv2d(x101, self.model_22_cv2_0_0_conv_weight, self.model_22_cv2_0_0_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x131 = torch.silu(x130)
    x132 = torch.conv2d(x131, self.model_22_cv2_0_1_conv_weight, self.model_22_cv2_0_1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x133 = torch.silu(x132)
    x134 = torch.conv2d(x133, self.model_22_cv2_0_2_weight, self.model_22_cv2_0_2_bias, [1, 1], [0, 0], [1, 1], 1)
    x135 = torch.conv2d(x101, self.model_22_cv3_0_0_conv_weight, self.model_22_cv3_0_0_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x136 = torch.silu(x135)
    x137 = torch.conv2d(x136, self.model_22_cv3_0_1_conv_weight, self.model_22_cv3_0_1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x138 = torch.silu(x137)
    x139 = torch.conv2d(x138, self.model_22_cv3_0_2_weight, self.model_22_cv3_0_2_bias, [1, 1], [0, 0], [1, 1], 1)
    x140 = torch.cat([x134, x139], 1)
    x141 = torch.conv2d(x115, self.model_22_cv2_1_0_conv_weight, self.model_22_cv2_1_0_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x142 = torch.silu(x141)
    x143 = torch.conv2d(x142, self.model_22_cv2_1_1_conv_weight, self.model_22_cv2_1_1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x144 = torch.silu(x143)
    x145 = torch.conv2d(x144, self.model_22_cv2_1_2_weight, self.model_22_cv2_1_2_bias, [1, 1], [0, 0], [1, 1], 1)
    x146 = torch.conv2d(x115, self.model_22_cv3_1_0_conv_weight, self.model_22_cv3_1_0_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x147 = torch.silu(x146)
    x148 = torch.conv2d(x147, self.model_22_cv3_1_1_conv_weight, self.model_22_cv3_1_1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x149 = torch.silu(x148)
    x150 = torch.conv2d(x149, self.model_22_cv3_1_2_weight, self.model_22_cv3_1_2_bias, [1, 1], [0, 0], [1, 1], 1)
    x151 = torch.cat([x145, x150], 1)
    x152 = torch.conv2d(x129, self.model_22_cv2_2_0_conv_weight, self.model_22_cv2_2_0_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x153 = torch.silu(x152)
    x154 = torch.conv2d(x153, self.model_22_cv2_2_1_conv_weight, self.model_22_cv2_2_1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x155 = torch.silu(x154)
    x156 = torch.conv2d(x155, self.model_22_cv2_2_2_weight, self.model_22_cv2_2_2_bias, [1, 1], [0, 0], [1, 1], 1)
    x157 = torch.conv2d(x129, self.model_22_cv3_2_0_conv_weight, self.model_22_cv3_2_0_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x158 = torch.silu(x157)
    x159 = torch.conv2d(x158, self.model_22_cv3_2_1_conv_weight, self.model_22_cv3_2_1_conv_bias, [1, 1], [1, 1], [1, 1], 1)
    x160 = torch.silu(x159)
    x161 = torch.conv2d(x160, self.model_22_cv3_2_2_weight, self.model_22_cv3_2_2_bias, [1, 1], [0, 0], [1, 1], 1)
    x162 = torch.cat([x156, x161], 1)
    x163 = torch.reshape(x140, [torch.size(x140, 0), 144, -1])
    x164 = torch.reshape(x151, [torch.size(x151, 0), 144, -1])
    x165 = torch.reshape(x162, [torch.size(x162, 0), 144, -1])
    x166 = torch.cat([x163, x164, x165], 2)
    x167, x168, = torch.split_with_sizes(x166, [64, 80], 1)
    x169 = torch.reshape(x167, [torch.size(x167, 0), 4, 16, -1])
    x170 = torch.permute(x169, [0, 2, 1, 3])
    x171 = torch.softmax(x170, 1)
    x172 = torch.conv2d(x171, self.model_22_dfl_conv_weight, None, [1, 1], [0, 0], [1, 1], 1)
    x173 = torch.reshape(x172, [torch.size(x172, 0), 4, -1])
    x174 = torch.size(x140)
    x175 = x174[2]
    x176 = x174[3]
    x177 = float(x176)
    x178 = float(x175)
    x179 = torch.arange(0., x177, 1., dtype=None, layout=None, device=ops.prim.device(images), pin_memory=None)
    x180 = torch.arange(0., x178, 1., dtype=None, layout=None, device=ops.prim.device(images), pin_memory=None)
    x181 = torch.add(x179, 0.5)
    x182 = torch.add(x180, 0.5)
    x183 = [x175]
    x184 = [x176]
    x185 = x183 + x184
    x186 = torch.unsqueeze(x181, 0)
    x187 = torch.unsqueeze(x182, 1)
    x188 = torch.expand(x186, x185)
    x189 = torch.expand(x187, x185)
    x190 = torch.reshape(x188, [1, -1])
    x191 = torch.reshape(x189, [1, -1])
    x192 = torch.cat([x190, x191], 0)
    x193 = torch.size(x190)
    x194 = torch.expand(self.model_22_Constant_10, x193)
    x195 = torch.size(x151)
    x196 = x195[2]
    x197 = x195[3]
    x198 = float(x197)
    x199 = float(x196)
    x200 = torch.arange(0., x198, 1., dtype=None, layout=None, device=ops.prim.device(images), pin_memory=None)
    x201 = torch.arange(0., x199, 1., dtype=None, layout=None, device=ops.prim.device(images), pin_memory=None)
    x202 = torch.add(x200, 0.5)
    x203 = torch.add(x201, 0.5)
    x204 = [x196]
    x205 = [x197]
    x206 = x204 + x205
    x207 = torch.unsqueeze(x202, 0)
    x208 = torch.unsqueeze(x203, 1)
    x209 = torch.expand(x207, x206)
    x210 = torch.expand(x208, x206)
    x211 = torch.reshape(x209, [1, -1])
    x212 = torch.reshape(x210, [1, -1])
    x213 = torch.cat([x211, x212], 0)
    x214 = torch.size(x211)
    x215 = torch.expand(self.model_22_Constant_18, x214)
    x216 = torch.size(x162)
    x217 = x216[2]
    x218 = x216[3]
    x219 = float(x218)
    x220 = float(x217)
    x221 = torch.arange(0., x219, 1., dtype=None, layout=None, device=ops.prim.device(images), pin_memory=None)
    x222 = torch.arange(0., x220, 1., dtype=None, layout=None, device=ops.prim.device(images), pin_memory=None)
    x223 = torch.add(x221, 0.5)
    x224 = torch.add(x222, 0.5)
    x225 = [x217]
    x226 = [x218]
    x227 = x225 + x226
    x228 = torch.unsqueeze(x223, 0)
    x229 = torch.unsqueeze(x224, 1)
    x230 = torch.expand(x228, x227)
    x231 = torch.expand(x229, x227)
    x232 = torch.reshape(x230, [1, -1])
    x233 = torch.reshape(x231, [1, -1])
    x234 = torch.cat([x232, x233], 0)
    x235 = torch.size(x232)
    x236 = torch.expand(self.model_22_Constant_26, x235)
    x237 = torch.cat([x192, x213, x234], 1)
    x238 = torch.cat([x194, x215, x236], 1)
    x239, x240, = torch.split_with_sizes(x173, [2, 2], 1)
    x241 = torch.sub(x237, x239)
    x242 = torch.add(x237, x240)
    x243 = torch.add(x241, x242)
    x244 = torch.div(x243, 2.)
    x245 = torch.sub(x242, x241)
    x246 = torch.cat([x244, x245], 1)
    x247 = torch.mul(x246, x238)
    x248 = torch.sigmoid(x168)
    x249 = torch.cat([x247, x248], 1)
    return x249
